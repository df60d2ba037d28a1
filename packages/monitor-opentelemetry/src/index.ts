import type { FlowKitPlugin } from '@flowkit/core/plugin';
import { OpenTelemetrySidecar } from './sidecar';

export { OpenTelemetrySidecar, type OpenTelemetrySidecarOptions } from './sidecar';

/** The `opentelemetry` monitor: a run that chooses it (`--monitor opentelemetry`) is exported as a trace over OTLP/HTTP. */
export const plugin: FlowKitPlugin = {
  name: '@flowkit/monitor-opentelemetry',
  register(registry) {
    registry.addSidecar(new OpenTelemetrySidecar());
  },
};
