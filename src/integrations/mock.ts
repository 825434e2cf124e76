/**
 * @module integrations/mock — a fixed response (`type: mock`), for tests, demos and REST CORS
 * `OPTIONS` methods. [glue]
 */
import type { MockIntegrationConfig } from '../core/config.ts';
import type { Integration } from './integration.ts';

export function createMockIntegration(cfg: Readonly<MockIntegrationConfig>): Integration {
  const headers = Object.entries(cfg.headers);
  return {
    type: 'mock',
    async invoke({ ctx }) {
      ctx.integrationLatencyMs = 0;
      ctx.integrationStatus = cfg.statusCode;
      return { status: cfg.statusCode, headers: [...headers], body: cfg.body };
    },
  };
}
