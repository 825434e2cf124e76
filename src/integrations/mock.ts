/**
 * @module integrations/mock — a fixed response (`type: mock`), for tests, demos and REST CORS
 * `OPTIONS` methods. [glue]
 */
import { z } from 'zod';
import { stringMap } from '../core/config.ts';
import { defineIntegration, type Integration } from './integration.ts';

export const mockIntegrationSchema = z.strictObject({
  type: z.literal('mock'),
  statusCode: z.number().int().min(100).max(599).default(200),
  headers: stringMap.default({}),
  body: z.string().default(''),
});
export type MockIntegrationConfig = z.infer<typeof mockIntegrationSchema>;

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

/** The registry entry (integrations/index.ts). */
export const mockIntegrationPlugin = defineIntegration({
  schema: mockIntegrationSchema,
  compile: (config) => createMockIntegration(config),
});
