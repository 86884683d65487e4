// TEST-ONLY emulator of Microsoft Graph's sendMail with MIME content, the one
// exception to "real servers only": Graph cannot run here. It is as strict as
// Graph where mailoauth depends on Graph's behaviour, as Microsoft documents
// it (docs/sending.md cites the pages):
//   POST /v1.0/users/{id|upn}/sendMail, Content-Type text/plain, the RFC 5322
//   message in base64 -> 202 Accepted with an empty body (user-sendmail);
//   Graph has no envelope: the message goes to the addresses in its To, Cc
//     and Bcc fields and to nobody else, and the Bcc field is removed from
//     what the recipients get; no recipient at all -> 400
//     ErrorInvalidRecipients "... contains no recipients" (a Bcc-only message
//     whose Bcc was stripped gets exactly this from Graph);
//   a missing, malformed or inactive bearer token -> 401 InvalidAuthenticationToken
//     (tokens are checked at the REAL OAuth2 server's introspection endpoint);
//   an app-only token (no `sub`: client credentials) with Mail.Send may send
//     as any mailbox of the tenant (outlook-send-mail-from-other-user), unless
//     an application access policy (POST /test/policy {"deny":[mailbox]})
//     excludes it -> 403 ErrorAccessDenied "[RAOP] ..."; a delegated token
//     only as its own mailbox (Mail.Send.Shared is not emulated) -> 403
//     ErrorAccessDenied otherwise;
//   a mailbox the tenant does not have -> 404 ErrorInvalidUser;
//   a body that is not base64 -> 400 ErrorMimeContentInvalidBase64String;
//     no header -> 400 ErrorMimeContentInvalid;
//   a request above 4 MB -> 413 with the body Graph was seen to give
//     ({"code":"BadRequest","message":"Maximum request length exceeded."},
//     microsoftgraph/microsoft-graph-docs-contrib issue 8362);
//   throttling -> 429 ApplicationThrottled WITHOUT innerError (the Outlook
//     service's body) and with or without Retry-After;
//   500, 502, 503 (with or without Retry-After) and 504, before or after the
//     message was taken, and a request taken and never answered.
// Faults are queued by the test-only POST /test/faults [{"status":429,
// "retry_after":7}, {"status":504,"deliver":true}, {"hang":true,"deliver":true},
// {"status":400,"code":"ErrorInvalidRecipients","message":"..."}]
// (POST /test/throttle {"count":N,"retry_after":S} queues N 429s) and are
// used one per sendMail that passed authentication. Every answer has a
// request-id header and echoes the client-request-id the client sent; errors
// other than 429 have Graph's {"error":{"code","message","innerError":{"date",
// "request-id","client-request-id"}}} shape.
// Accepted messages are written to the outbox directory as recipients see
// them (GET /test/outbox lists mailbox, recipients, size and path).
// POST /test/slow {"ms":N} makes every sendMail take N ms more (and starts a
// new count); GET /test/concurrency says how many sendMail requests were in
// progress at once at most since: {"in_flight","max"}.
//
// Usage: node graph_emulator.mjs INTROSPECT_URL CLIENT_ID CLIENT_SECRET_FILE OUTBOX_DIR [MAILBOXES]
// MAILBOXES: the tenant's mailboxes, comma-separated; without it, every
// address in the domain of the token's own mailbox. Prints "graph emulator
// listening on PORT" once it listens on 127.0.0.1.
import { createServer } from 'node:http';
import { randomUUID } from 'node:crypto';
import { readFileSync, writeFileSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';

const [introspectUrl, clientId, secretFile, outbox, mailboxList] = process.argv.slice(2);
if (!outbox) {
  console.error('usage: node graph_emulator.mjs INTROSPECT_URL CLIENT_ID CLIENT_SECRET_FILE OUTBOX_DIR [MAILBOXES]');
  process.exit(2);
}
const clientSecret = readFileSync(secretFile, 'utf8').trim();
mkdirSync(outbox, { recursive: true });
const kLimit = 4 * 1024 * 1024;
const tenantMailboxes = mailboxList ? mailboxList.split(',').map((m) => m.trim().toLowerCase()) : null;
let faults = [];
let denied = new Set();
const accepted = [];
const hanging = new Set();
let slowMs = 0;
let inFlight = 0;
let maxInFlight = 0;

function send(req, res, status, body, headers = {}) {
  const requestId = randomUUID();
  const text = body === undefined ? '' : JSON.stringify(body);
  const clientRequestId = req.headers['client-request-id'];
  res.writeHead(status, { 'request-id': requestId,
    ...(clientRequestId ? { 'client-request-id': clientRequestId } : {}),
    ...(text ? { 'content-type': 'application/json' } : {}), ...headers });
  res.end(text);
  return requestId;
}
function graphError(req, res, status, code, message, headers = {}, innerError = true) {
  const requestId = randomUUID();
  const inner = { date: new Date().toISOString().replace(/\.\d+Z$/, ''), 'request-id': requestId,
    'client-request-id': req.headers['client-request-id'] || requestId };
  send(req, res, status, { error: { code, message, ...(innerError ? { innerError: inner } : {}) } },
    headers);
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

// The header fields of an RFC 5322 message (unfolded), and where the body starts.
function parseHeader(text) {
  const fields = [];
  const lines = text.split(/\r?\n/);
  let i = 0;
  for (; i < lines.length && lines[i] !== ''; i++) {
    if (/^[ \t]/.test(lines[i]) && fields.length) {
      fields[fields.length - 1].value += lines[i];
    } else {
      const colon = lines[i].indexOf(':');
      if (colon <= 0) return null;
      fields.push({ name: lines[i].slice(0, colon), value: lines[i].slice(colon + 1) });
    }
  }
  return fields.length ? fields : null;
}
// The addresses of an address-list value: comments and quoted names dropped,
// <...> preferred, groups flattened.
function addresses(value) {
  const plain = value.replace(/"(?:[^"\\]|\\.)*"/g, '""').replace(/\((?:[^()\\]|\\.)*\)/g, ' ');
  return plain.split(/[,;]/).map((entry) => {
    const angle = /<([^>]*)>/.exec(entry);
    const address = (angle ? angle[1] : entry.replace(/^[^:]*:/, '')).trim();
    return address.replace(/^@[^:]*:/, '');
  }).filter((address) => address.includes('@'));
}
function inTenant(mailbox, claims) {
  if (tenantMailboxes) return tenantMailboxes.includes(mailbox);
  const domain = (claims.email || '').toLowerCase().split('@')[1];
  return Boolean(domain) && mailbox.endsWith('@' + domain);
}
// The Bcc field removed, folded lines included, as recipients see the message.
function withoutBcc(text) {
  const end = text.search(/\r?\n\r?\n/);
  const header = end < 0 ? text : text.slice(0, end);
  const kept = header.replace(/^Bcc:.*(?:\r?\n[ \t].*)*(?:\r?\n)?/gim, '');
  return kept + (end < 0 ? '' : text.slice(end));
}

async function sendMail(req, res, mailbox) {
  const { size, body } = await readBody(req, kLimit);
  if (size > kLimit) return graphError(req, res, 413, 'BadRequest', 'Maximum request length exceeded.');
  const auth = req.headers.authorization || '';
  if (!auth.startsWith('Bearer ') || auth.length < 8) {
    return graphError(req, res, 401, 'InvalidAuthenticationToken', 'Access token is empty.');
  }
  const claims = await introspect(auth.slice(7));
  if (!claims.active) {
    return graphError(req, res, 401, 'InvalidAuthenticationToken', 'Lifetime validation failed, the token is expired.');
  }
  if (!inTenant(mailbox, claims)) {
    return graphError(req, res, 404, 'ErrorInvalidUser', `The requested user '${mailbox}' is invalid.`);
  }
  const appOnly = !claims.sub;
  if (appOnly && denied.has(mailbox)) {
    return graphError(req, res, 403, 'ErrorAccessDenied', '[RAOP] : Blocked by tenant configured AppOnly AccessPolicy settings.');
  }
  if (!appOnly && (claims.email || '').toLowerCase() !== mailbox) {
    return graphError(req, res, 403, 'ErrorAccessDenied', 'Access is denied. Check credentials and try again.');
  }
  const fault = faults.shift() || {};
  if (fault.status && !fault.deliver) return answerFault(req, res, fault);
  if (!(req.headers['content-type'] || '').startsWith('text/plain')) {
    return graphError(req, res, 400, 'ErrorInvalidRequest', 'Only MIME content (text/plain, base64) is emulated.');
  }
  const text = body.toString('latin1').replace(/\r?\n/g, '');
  if (!strictBase64.test(text) || text.length === 0) {
    return graphError(req, res, 400, 'ErrorMimeContentInvalidBase64String', 'Invalid base64 string for MIME content.');
  }
  const mime = Buffer.from(text, 'base64').toString('latin1');
  const fields = parseHeader(mime);
  if (!fields) return graphError(req, res, 400, 'ErrorMimeContentInvalid', 'The MIME content is not valid.');
  const recipients = [];
  for (const field of fields) {
    if (!/^(to|cc|bcc)$/i.test(field.name.trim())) continue;
    for (const address of addresses(field.value)) {
      if (!recipients.some((r) => r.toLowerCase() === address.toLowerCase())) recipients.push(address);
    }
  }
  if (recipients.length === 0) {
    return graphError(req, res, 400, 'ErrorInvalidRecipients',
      "At least one recipient is not valid., A message can't be sent because it contains no recipients.");
  }
  const path = join(outbox, `${accepted.length + 1}.eml`);
  writeFileSync(path, Buffer.from(withoutBcc(mime), 'latin1'));
  accepted.push({ mailbox, recipients, size: mime.length, path,
    clientRequestId: req.headers['client-request-id'] || '' });
  console.log(`${new Date().toISOString()} accepted sendMail for ${mailbox} to ${recipients.join(', ')} (${mime.length} bytes)`);
  if (fault.hang) {  // taken, never answered: the client's deadline ends it
    hanging.add(res);
    res.on('close', () => hanging.delete(res));
    return undefined;
  }
  if (fault.status) return answerFault(req, res, fault);
  return send(req, res, 202);
}

function answerFault(req, res, fault) {
  const headers = fault.retry_after !== undefined ? { 'retry-after': String(fault.retry_after) } : {};
  switch (fault.status) {
    case 429:
      return graphError(req, res, 429, 'ApplicationThrottled', 'Application is over its MailboxConcurrency limit.',
        headers, false);
    case 503:
      return graphError(req, res, 503, 'ServiceUnavailable', 'The service is temporarily unavailable.', headers);
    case 504:
      return graphError(req, res, 504, 'UnknownError', '', headers);
    default:  // a fault may name Graph's code and message: {"status":400,"code":"ErrorInvalidRecipients",...}
      return graphError(req, res, fault.status, fault.code || 'ErrorInternalServerError',
        fault.message || 'An internal server error occurred.', headers);
  }
}

const server = createServer(async (req, res) => {
  try {
    const url = new URL(req.url, 'http://127.0.0.1');
    if (req.method === 'POST' && url.pathname === '/test/throttle') {
      const { body } = await readBody(req, 4096);
      const { count, retry_after: retryAfter } = JSON.parse(body.toString('utf8'));
      for (let i = 0; i < count; i++) faults.push({ status: 429, retry_after: retryAfter });
      return send(req, res, 200, { faults });
    }
    if (req.method === 'POST' && url.pathname === '/test/faults') {
      const { body } = await readBody(req, 65536);
      faults.push(...JSON.parse(body.toString('utf8')));
      return send(req, res, 200, { faults });
    }
    if (req.method === 'POST' && url.pathname === '/test/policy') {
      const { body } = await readBody(req, 65536);
      denied = new Set((JSON.parse(body.toString('utf8')).deny || []).map((m) => m.toLowerCase()));
      return send(req, res, 200, { deny: [...denied] });
    }
    if (req.method === 'GET' && url.pathname === '/test/outbox') return send(req, res, 200, accepted);
    if (req.method === 'POST' && url.pathname === '/test/slow') {
      const { body } = await readBody(req, 4096);
      slowMs = JSON.parse(body.toString('utf8')).ms || 0;
      maxInFlight = inFlight;
      return send(req, res, 200, { ms: slowMs });
    }
    if (req.method === 'GET' && url.pathname === '/test/concurrency') {
      return send(req, res, 200, { in_flight: inFlight, max: maxInFlight });
    }
    const match = /^\/v1\.0\/users\/([^/]+)\/sendMail$/.exec(url.pathname);
    if (!match) return graphError(req, res, 400, 'BadRequest', `Resource not found for the segment '${url.pathname}'.`);
    if (req.method !== 'POST') return graphError(req, res, 405, 'Request_BadRequest', 'Only POST is emulated.');
    maxInFlight = Math.max(maxInFlight, ++inFlight);
    try {
      if (slowMs) await new Promise((resolve) => setTimeout(resolve, slowMs));
      return await sendMail(req, res, decodeURIComponent(match[1]).toLowerCase());
    } finally {
      inFlight--;
    }
  } catch (error) {
    return graphError(req, res, 500, 'generalException', String(error && error.message));
  }
});
server.listen(0, '127.0.0.1', () => {
  console.log(`graph emulator listening on ${server.address().port}`);
});
process.on('SIGTERM', () => {
  for (const res of hanging) res.destroy();
  server.close(() => process.exit(0));
  setTimeout(() => process.exit(0), 1000).unref();
});
