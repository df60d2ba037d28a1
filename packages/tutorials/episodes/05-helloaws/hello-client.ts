/**
 * Notebook-style script: reads HelloAWSFlow's latest run through the client, from wherever its
 * artifacts are (S3 with the settings in the README), as any other machine could.
 *
 *   npx tsx 05-helloaws/hello-client.ts
 */
import { Flow } from '@flowkit/client';
import type HelloAWSFlow from './helloaws';

async function main(): Promise<void> {
  const run = await new Flow<HelloAWSFlow>('HelloAWSFlow').latestRun();
  console.log(`Latest run: ${run.pathspec} (${(await run.successful) ? 'successful' : 'not successful'})`);
  console.log(`message: ${await run.data.message}`);
  const hello = await run.step('hello').task;
  if (hello) console.log(`hello printed: ${(await hello.stdout).trim()} (attempt ${await hello.currentAttempt})`);
}

main().catch((error: Error) => {
  console.error(error.message);
  process.exitCode = 1;
});
