/**
 * @module supertokens/metrics — what the session core reports about its work. [io port]
 *
 * A port, not an implementation: the CLI hands `startCore()` the process's metrics registry, whose
 * `Metrics` (io/metrics.ts) fits this interface structurally. Declared here so that the session core
 * imports nothing from the gateway's side (test/meta/layers.test.ts).
 */

export type SessionOperation = 'create' | 'verify' | 'refresh' | 'revoke' | 'theft';

export interface SessionMetrics {
  /** `theft` is a refresh-token reuse that revoked a session family. */
  sessionOperation(operation: SessionOperation, outcome: 'ok' | 'error'): void;
}
