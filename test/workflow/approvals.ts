// Environment approvals for the local runner: on a terminal the reviewer is asked; without one
// (CI, pipes) nothing can answer, so the deployment is rejected, as an unanswered review never passes.
import { createInterface } from 'node:readline/promises';
import type { ApprovalRequest } from './types.js';

export async function askOnTerminal(request: ApprovalRequest): Promise<boolean> {
  if (!process.stdin.isTTY) {
    console.log(
      `No terminal to ask: the deployment of ${request.jobName} to ${request.environment} is rejected.`,
    );
    return false;
  }
  const rl = createInterface({ input: process.stdin, output: process.stdout });
  try {
    const answer = await rl.question(
      `Review deployment: ${request.jobName} → environment "${request.environment}". Approve? [y/N] `,
    );
    return /^y(es)?$/i.test(answer.trim());
  } finally {
    rl.close();
  }
}
