export * from './dist/plugin';
