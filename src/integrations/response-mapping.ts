/**
 * @module integrations/response-mapping — HTTP API `responseParameters` on an integration's
 * answer (`overwrite:statuscode`, `append|overwrite|remove:header.NAME`). [glue]
 */
import { checkMappedHeaderValue, type HttpResponseMapping, type MappingSource } from '../core/mapping.ts';
import { isPushedBody, type GatewayRequest, type GatewayResponse, type RequestContext } from '../core/model.ts';

export function applyHttpResponseMapping(
  mappings: ReadonlyMap<number, HttpResponseMapping>,
  response: GatewayResponse,
  ctx: RequestContext,
  request: GatewayRequest,
): GatewayResponse {
  const mapping = mappings.get(response.status);
  if (!mapping) return response;
  const responseHeaders: Record<string, string> = {};
  for (const [k, v] of response.headers) {
    const lower = k.toLowerCase();
    responseHeaders[lower] = lower in responseHeaders ? `${responseHeaders[lower]},${v}` : v;
  }
  const src: MappingSource = { ctx, headers: request.headers, query: {}, response: { headers: responseHeaders } };
  let values: string[];
  try {
    values = mapping.headerOps.map((o) => (o.op === 'remove' ? '' : checkMappedHeaderValue(o.key, o.value(src))));
  } catch (err) {
    // The answer is a 400 instead: stop the upstream body nobody will read.
    if (isPushedBody(response.body)) response.body.abandon();
    throw err;
  }
  let headers = [...response.headers];
  mapping.headerOps.forEach((o, i) => {
    if (o.op === 'remove' || o.op === 'overwrite') headers = headers.filter(([k]) => k.toLowerCase() !== o.name);
    if (o.op !== 'remove') headers.push([o.name, values[i]!]);
  });
  let status = response.status;
  if (mapping.status) {
    const s = Number(mapping.status(src));
    if (Number.isInteger(s) && s >= 100 && s <= 599) status = s;
  }
  return { status, headers, body: response.body };
}
