// TEST-ONLY emulator of Microsoft Graph's sendMail with MIME content, the one
// exception to "real servers only": Graph cannot run here. It is faithful
// where mailoauth depends on Graph's behaviour, as documented by Microsoft
// (FACTS.md section 2):
//   POST /v1.0/users/{id|upn}/sendMail, Content-Type text/plain, the RFC 5322
//   message in base64 -> 202 Accepted with an empty body;
//   a missing, malformed or inactive bearer token -> 401 InvalidAuthenticationToken
//     (tokens are checked at the REAL OAuth2 server's introspection endpoint);
//   a token for another mailbox -> 403 ErrorAccessDenied;
//   a body that is not base64 -> 400 ErrorMimeContentInvalidBase64String;
//   a request above 4 MB -> 413 (the code name is not documented; ours is
//     "RequestEntityTooLarge");
//   throttling -> 429 ApplicationThrottled with Retry-After (switched on by the
//     test-only POST /test/throttle {"count":N,"retry_after":S}).
// Every error has Graph's shape {"error":{"code","message","innerError":
// {"date","request-id","client-request-id"}}} and a request-id header.
// Accepted messages are written to the outbox directory (GET /test/outbox).
//
// Usage: node graph_emulator.mjs INTROSPECT_URL CLIENT_ID CLIENT_SECRET_FILE OUTBOX_DIR
// Prints "graph emulator listening on PORT" once it listens on 127.0.0.1.
import { createServer } from 'node:http';
import { randomUUID } from 'node:crypto';
import { readFileSync, writeFileSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';

const [introspectUrl, clientId, secretFile, outbox] = process.argv.slice(2);
if (!outbox) {
  console.error('usage: node graph_emulator.mjs INTROSPECT_URL CLIENT_ID CLIENT_SECRET_FILE OUTBOX_DIR');
  process.exit(2);
}
const clientSecret = readFileSync(secretFile, 'utf8').trim();
mkdirSync(outbox, { recursive: true });
const kLimit = 4 * 1024 * 1024;
let throttle = { count: 0, retryAfter: 0 };
const accepted = [];

function send(res, status, body, headers = {}) {
  const requestId = randomUUID();
  const text = body === undefined ? '' : JSON.stringify(body);
  res.writeHead(status, { 'request-id': requestId, 'client-request-id': requestId,
    ...(text ? { 'content-type': 'application/json' } : {}), ...headers });
  res.end(text);
  return requestId;
}
function graphError(res, status, code, message, headers = {}) {
  const requestId = randomUUID();
  send(res, status, { error: { code, message, innerError: {
    date: new Date().toISOString().replace(/\.\d+Z$/, ''), 'request-id': requestId,
    'client-request-id': requestId } } }, headers);
}
async function readBody(req, limit) {
  const chunks = [];
  let size = 0;
  for await (const chunk of req) {
    size += chunk.length;
    if (size <= limit + 1) chunks.push(chunk);
  }
  return { size, body: Buffer.concat(chunks) };
}
async function introspect(token) {
  const response = await fetch(introspectUrl, {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded',
      authorization: 'Basic ' + Buffer.from(`${encodeURIComponent(clientId)}:${encodeURIComponent(clientSecret)}`).toString('base64') },
    body: new URLSearchParams({ token }).toString(),
  });
  if (!response.ok) return { active: false };
  return response.json();
}
const strictBase64 = /^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?$/;

const server = createServer(async (req, res) => {
  try {
    const url = new URL(req.url, 'http://127.0.0.1');
    if (req.method === 'POST' && url.pathname === '/test/throttle') {
      const { body } = await readBody(req, 4096);
      const { count, retry_after: retryAfter } = JSON.parse(body.toString('utf8'));
      throttle = { count, retryAfter };
      return send(res, 200, { throttling: throttle });
    }
    if (req.method === 'GET' && url.pathname === '/test/outbox') return send(res, 200, accepted);
    const match = /^\/v1\.0\/users\/([^/]+)\/sendMail$/.exec(url.pathname);
    if (!match) return graphError(res, 400, 'BadRequest', `Resource not found for the segment '${url.pathname}'.`);
    if (req.method !== 'POST') return graphError(res, 405, 'Request_BadRequest', 'Only POST is emulated.');
    const mailbox = decodeURIComponent(match[1]);
    const { size, body } = await readBody(req, kLimit);
    if (size > kLimit) return graphError(res, 413, 'RequestEntityTooLarge', 'The request is larger than 4 MB.');
    const auth = req.headers.authorization || '';
    if (!auth.startsWith('Bearer ') || auth.length < 8) {
      return graphError(res, 401, 'InvalidAuthenticationToken', 'Access token is empty.');
    }
    const claims = await introspect(auth.slice(7));
    if (!claims.active) {
      return graphError(res, 401, 'InvalidAuthenticationToken', 'Lifetime validation failed, the token is expired.');
    }
    if ((claims.email || '').toLowerCase() !== mailbox.toLowerCase()) {
      return graphError(res, 403, 'ErrorAccessDenied', 'Access is denied. Check credentials and try again.');
    }
    if (throttle.count > 0) {
      throttle.count -= 1;
      return graphError(res, 429, 'ApplicationThrottled', 'Application is over its MailboxConcurrency limit.',
        { 'retry-after': String(throttle.retryAfter) });
    }
    if (!(req.headers['content-type'] || '').startsWith('text/plain')) {
      return graphError(res, 400, 'ErrorInvalidRequest', 'Only MIME content (text/plain, base64) is emulated.');
    }
    const text = body.toString('latin1').replace(/\r?\n/g, '');
    if (!strictBase64.test(text) || text.length === 0) {
      return graphError(res, 400, 'ErrorMimeContentInvalidBase64String', 'Invalid base64 string for MIME content.');
    }
    const mime = Buffer.from(text, 'base64');
    const path = join(outbox, `${accepted.length + 1}.eml`);
    writeFileSync(path, mime);
    accepted.push({ mailbox, size: mime.length, path });
    console.log(`${new Date().toISOString()} accepted sendMail for ${mailbox} (${mime.length} bytes)`);
    return send(res, 202);
  } catch (error) {
    return graphError(res, 500, 'generalException', String(error && error.message));
  }
});
server.listen(0, '127.0.0.1', () => {
  console.log(`graph emulator listening on ${server.address().port}`);
});
