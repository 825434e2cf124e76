// Portcullis Lambda integration handler for scenario 2: the upstream's 53-byte JSON body.
const body = JSON.stringify({ ok: true, service: 'upstream', items: [1, 2, 3] });
export async function handler() {
  return { statusCode: 200, headers: { 'content-type': 'application/json' }, body };
}
