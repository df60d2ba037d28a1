/**
 * Fault injection for FlowKit's own tests: FLOWKIT_FAULT_INJECTION=<point>:<step> kills the task process
 * at that point of that step, as a power cut or OOM kill would. Unset, it costs one string compare.
 */
export function faultPoint(point: 'crash-before-done', stepName: string): void {
  if (process.env.FLOWKIT_FAULT_INJECTION === `${point}:${stepName}`) process.kill(process.pid, 'SIGKILL');
}
