export * from './dist/internal';
