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
//
// Large messages, as Microsoft documents them (outlook-large-attachments,
// user-post-messages, message-post-attachments, attachment-createuploadsession,
// message-send, throttling-limits):
//   POST /v1.0/users/{m}/messages (text/plain, base64 MIME) -> 201 {"id",...},
//     a draft; over 4 MB -> 413; needs Mail.ReadWrite -> 403 ErrorAccessDenied;
//   POST .../messages/{id}/attachments (a fileAttachment, contentBytes) -> 201;
//     over 4 MB of request -> 413; needs Mail.ReadWrite;
//   POST .../messages/{id}/attachments/createUploadSession {"AttachmentItem":
//     {"attachmentType":"file","name","size",...}} -> 201 {"uploadUrl",
//     "expirationDateTime","nextExpectedRanges":["0-"]}; a delegated token on
//     a mailbox other than its own (a shared mailbox) -> 403 ErrorAccessDenied
//     (the documented known issue); size over 150 MB -> 400;
//   the upload URL is on a SECOND origin (another port) and pre-authenticated
//     (a key in its query): a request with an Authorization header -> 401;
//     PUT with Content-Range "bytes first-last/total" and Content-Length:
//     a total other than the session's size, a malformed range or a length
//     that differs from the body -> 400; more than 4 MB -> 413; a range that
//     does not start where the last one ended (a gap or an overlap) -> 416
//     with the expected range; a session past its expirationDateTime -> 404;
//     200 {"ExpirationDateTime","NextExpectedRanges":["N"]} (the Outlook
//     service's spelling) per chunk, 201 with Location on the last;
//     DELETE cancels -> 204;
//   POST .../messages/{id}/send -> 202: delivered like sendMail (To, Cc, Bcc
//     of the draft; Bcc hidden), the attachments appended; needs Mail.Send;
//   DELETE .../messages/{id} -> 204 (404 when there is no such draft).
// Graph's permissions are not in the stack's tokens (their scope is the
// stack's "mail"): every valid token is granted the set POST /test/permissions
// {"granted":["Mail.Send","Mail.ReadWrite"]} names (both by default).
// POST /test/shared {"mailboxes":[...]} names shared mailboxes a delegated
// token may use (FullAccess and Send As granted). Throttling as the Outlook
// service does it, per mailbox: more than 4 requests at once, or more than
// 150 MB of request bodies in 5 minutes -> 429 ApplicationThrottled without
// innerError, with Retry-After; POST /test/limits {"concurrency",
// "upload_bytes","window_seconds","session_seconds"} changes the limits and
// the upload sessions' lifetime (900 s by default) for tests.
// Faults with "on" apply to one endpoint: {"status":503,"on":"upload"};
// "on" is one of draft, attachment, createUploadSession, upload, send,
// delete (faults without it are sendMail's, as before); {"status":500,
// "on":"send","deliver":true} sends and then fails; {"status":504,
// "on":"upload","deliver":true} takes the chunk and then fails (the client
// repeats it: an overlap, 416); {"on":"upload","expire":true} ends the
// session's lifetime at that chunk (404 as for any expired session).
// GET /test/requests lists every request (origin graph|upload, method, path,
// whether it had an Authorization header, Content-Range, Content-Length,
// the answer's status); GET /test/drafts the drafts that still exist.
// Accepted large messages are listed in GET /test/outbox with their
// attachments' names, sizes and SHA-256.
//
// Usage: node graph_emulator.mjs INTROSPECT_URL CLIENT_ID CLIENT_SECRET_FILE OUTBOX_DIR [MAILBOXES]
// MAILBOXES: the tenant's mailboxes, comma-separated; without it, every
// address in the domain of the token's own mailbox. Prints "graph emulator
// listening on PORT (uploads on PORT2)" once both origins listen on 127.0.0.1.
import { createServer } from 'node:http';
import { randomUUID, randomBytes, createHash } from 'node:crypto';
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
// Large messages: permissions, shared mailboxes, drafts, upload sessions, limits.
let granted = new Set(['Mail.Send', 'Mail.ReadWrite']);
let shared = new Set();
const drafts = new Map();    // id -> {mailbox, mime, attachments: [{name, contentType, isInline, contentId, bytes}]}
const sessions = new Map();  // key -> {draftId, mailbox, item, chunks: [], next, expires}
const requestLog = [];
const limits = { concurrency: 4, upload_bytes: 150 * 1024 * 1024, window_seconds: 300, session_seconds: 900 };
const mailboxInFlight = new Map();
const mailboxUploads = new Map();  // mailbox -> [{at, bytes}]
let uploadPort = 0;
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
function takeFault(on) {
  const index = faults.findIndex((fault) => (fault.on || 'sendMail') === on);
  return index < 0 ? {} : faults.splice(index, 1)[0];
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
// Whom Graph delivers to: the To, Cc and Bcc addresses, each once.
function recipientsOf(fields) {
  const recipients = [];
  for (const field of fields) {
    if (!/^(to|cc|bcc)$/i.test(field.name.trim())) continue;
    for (const address of addresses(field.value)) {
      if (!recipients.some((r) => r.toLowerCase() === address.toLowerCase())) recipients.push(address);
    }
  }
  return recipients;
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
  if (!appOnly && (claims.email || '').toLowerCase() !== mailbox && !shared.has(mailbox)) {
    return graphError(req, res, 403, 'ErrorAccessDenied', 'Access is denied. Check credentials and try again.');
  }
  if (!granted.has('Mail.Send')) {
    return graphError(req, res, 403, 'ErrorAccessDenied', 'Access is denied. Check credentials and try again.');
  }
  const fault = takeFault('sendMail');
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
  const recipients = recipientsOf(fields);
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

// --- large messages ------------------------------------------------------------

// The token, tenant, mailbox and permission checks every draft endpoint
// shares; answers and returns null when the request may not go on.
async function authorize(req, res, mailbox, permission) {
  const auth = req.headers.authorization || '';
  if (!auth.startsWith('Bearer ') || auth.length < 8) {
    graphError(req, res, 401, 'InvalidAuthenticationToken', 'Access token is empty.');
    return null;
  }
  const claims = await introspect(auth.slice(7));
  if (!claims.active) {
    graphError(req, res, 401, 'InvalidAuthenticationToken', 'Lifetime validation failed, the token is expired.');
    return null;
  }
  if (!inTenant(mailbox, claims)) {
    graphError(req, res, 404, 'ErrorInvalidUser', `The requested user '${mailbox}' is invalid.`);
    return null;
  }
  const appOnly = !claims.sub;
  const own = (claims.email || '').toLowerCase() === mailbox;
  if ((appOnly && denied.has(mailbox)) || (!appOnly && !own && !shared.has(mailbox)) || !granted.has(permission)) {
    graphError(req, res, 403, 'ErrorAccessDenied', appOnly && denied.has(mailbox)
      ? '[RAOP] : Blocked by tenant configured AppOnly AccessPolicy settings.'
      : 'Access is denied. Check credentials and try again.');
    return null;
  }
  return { claims, appOnly, own };
}

// Outlook's per-mailbox limits: 4 requests at once, 150 MB uploaded in 5
// minutes. Answers 429 and returns false when over; else counts the request
// (release() when it ends).
function admit(req, res, mailbox) {
  const now = Date.now();
  const windowMs = limits.window_seconds * 1000;
  const uploads = (mailboxUploads.get(mailbox) || []).filter((entry) => now - entry.at < windowMs);
  mailboxUploads.set(mailbox, uploads);
  const bytes = Number(req.headers['content-length'] || 0);
  const inFlightNow = mailboxInFlight.get(mailbox) || 0;
  if (inFlightNow >= limits.concurrency) {
    graphError(req, res, 429, 'ApplicationThrottled', 'Application is over its MailboxConcurrency limit.',
      { 'retry-after': '1' }, false);
    return false;
  }
  const used = uploads.reduce((sum, entry) => sum + entry.bytes, 0);
  if (bytes > 0 && used + bytes > limits.upload_bytes) {
    const wait = Math.max(1, Math.ceil((uploads[0].at + windowMs - now) / 1000));
    graphError(req, res, 429, 'ApplicationThrottled', 'Application is over its upload limit.',
      { 'retry-after': String(wait) }, false);
    return false;
  }
  if (bytes > 0) uploads.push({ at: now, bytes });
  mailboxInFlight.set(mailbox, inFlightNow + 1);
  let released = false;
  res.on('close', () => {
    if (!released) mailboxInFlight.set(mailbox, (mailboxInFlight.get(mailbox) || 1) - 1);
    released = true;
  });
  return true;
}

function decodeMime(req, res, body) {
  if (!(req.headers['content-type'] || '').startsWith('text/plain')) {
    graphError(req, res, 400, 'ErrorInvalidRequest', 'Only MIME content (text/plain, base64) is emulated.');
    return null;
  }
  const text = body.toString('latin1').replace(/\r?\n/g, '');
  if (!strictBase64.test(text) || text.length === 0) {
    graphError(req, res, 400, 'ErrorMimeContentInvalidBase64String', 'Invalid base64 string for MIME content.');
    return null;
  }
  const mime = Buffer.from(text, 'base64').toString('latin1');
  if (!parseHeader(mime)) {
    graphError(req, res, 400, 'ErrorMimeContentInvalid', 'The MIME content is not valid.');
    return null;
  }
  return mime;
}

async function createDraft(req, res, mailbox) {
  const { size, body } = await readBody(req, kLimit);
  if (size > kLimit) return graphError(req, res, 413, 'ErrorRequestEntityTooLarge', 'The request exceeds the maximum supported size of 4 MB.');
  if (!await authorize(req, res, mailbox, 'Mail.ReadWrite')) return undefined;
  const fault = takeFault('draft');
  if (fault.status) return answerFault(req, res, fault);
  const mime = decodeMime(req, res, body);
  if (mime === null) return undefined;
  const id = 'AAMk' + randomBytes(24).toString('base64url') + '=';
  drafts.set(id, { mailbox, mime, attachments: [] });
  return send(req, res, 201, { '@odata.context': `${graphBase()}/v1.0/$metadata#users('${mailbox}')/messages/$entity`,
    id, isDraft: true });
}

function draftFor(req, res, mailbox, id) {
  const draft = drafts.get(id);
  if (!draft || draft.mailbox !== mailbox) {
    graphError(req, res, 404, 'ErrorItemNotFound', 'The specified object was not found in the store.');
    return null;
  }
  return draft;
}

async function addAttachment(req, res, mailbox, id) {
  const { size, body } = await readBody(req, kLimit);
  if (size > kLimit) return graphError(req, res, 413, 'ErrorRequestEntityTooLarge', 'The request exceeds the maximum supported size of 4 MB.');
  if (!await authorize(req, res, mailbox, 'Mail.ReadWrite')) return undefined;
  const draft = draftFor(req, res, mailbox, id);
  if (!draft) return undefined;
  const fault = takeFault('attachment');
  if (fault.status) return answerFault(req, res, fault);
  let item;
  try { item = JSON.parse(body.toString('utf8')); } catch { item = null; }
  if (!item || item['@odata.type'] !== '#microsoft.graph.fileAttachment' || typeof item.name !== 'string' ||
      typeof item.contentBytes !== 'string' || !strictBase64.test(item.contentBytes)) {
    return graphError(req, res, 400, 'ErrorInvalidRequest', 'A fileAttachment needs @odata.type, name and base64 contentBytes.');
  }
  const bytes = Buffer.from(item.contentBytes, 'base64');
  if (bytes.length >= 3 * 1024 * 1024) {
    return graphError(req, res, 400, 'ErrorAttachmentSizeShouldNotBeLessThanMinimumSize', 'Attachments of 3 MB or more need an upload session.');
  }
  const attachment = { id: 'AAMkAtt' + randomBytes(12).toString('base64url'), name: item.name,
    contentType: item.contentType || 'application/octet-stream', isInline: Boolean(item.isInline),
    contentId: item.contentId || '', bytes };
  draft.attachments.push(attachment);
  return send(req, res, 201, { id: attachment.id, name: attachment.name, size: bytes.length,
    contentType: attachment.contentType, isInline: attachment.isInline });
}

async function createUploadSession(req, res, mailbox, id) {
  const { body } = await readBody(req, 65536);
  const access = await authorize(req, res, mailbox, 'Mail.ReadWrite');
  if (!access) return undefined;
  const draft = draftFor(req, res, mailbox, id);
  if (!draft) return undefined;
  if (!access.appOnly && !access.own) {  // the known issue: delegated access to a shared mailbox
    return graphError(req, res, 403, 'ErrorAccessDenied', 'Access is denied. Check credentials and try again.');
  }
  const fault = takeFault('createUploadSession');
  if (fault.status) return answerFault(req, res, fault);
  let item;
  try { item = JSON.parse(body.toString('utf8')).AttachmentItem; } catch { item = null; }
  if (!item || item.attachmentType !== 'file' || typeof item.name !== 'string' || !Number.isInteger(item.size) ||
      item.size <= 0) {
    return graphError(req, res, 400, 'ErrorInvalidRequest', 'AttachmentItem needs attachmentType file, name and size.');
  }
  if (item.size > 150 * 1024 * 1024) {
    return graphError(req, res, 400, 'ErrorAttachmentSizeLimitExceeded', 'The attachment exceeds the maximum size of 150 MB.');
  }
  const key = randomBytes(16).toString('hex');
  const secret = randomBytes(24).toString('base64url');
  const expires = new Date(Date.now() + limits.session_seconds * 1000);
  sessions.set(key, { draftId: id, mailbox, item, secret, chunks: [], next: 0, expires });
  return send(req, res, 201, {
    '@odata.context': `${graphBase()}/v1.0/$metadata#microsoft.graph.uploadSession`,
    uploadUrl: `http://127.0.0.1:${uploadPort}/api/v2.0/Users('${encodeURIComponent(mailbox)}')/Messages('${id}')/AttachmentSessions('${key}')?authtoken=${secret}`,
    expirationDateTime: expires.toISOString(), nextExpectedRanges: ['0-'] });
}

// The message as recipients see it: the draft's header (Bcc removed) over a
// multipart/mixed of the draft's body and the added attachments.
function assemble(draft) {
  const mime = withoutBcc(draft.mime);
  if (draft.attachments.length === 0) return mime;
  const end = mime.search(/\r?\n\r?\n/);
  const header = mime.slice(0, end < 0 ? mime.length : end);
  const body = end < 0 ? '' : mime.slice(end).replace(/^\r?\n\r?\n/, '');
  const lines = header.split(/\r\n(?![ \t])|\n(?![ \t])/);
  const content = lines.filter((line) => /^content-/i.test(line));
  const kept = lines.filter((line) => !/^(content-|mime-version)/i.test(line));
  const boundary = 'emulator-' + randomBytes(8).toString('hex');
  let out = kept.join('\r\n') + '\r\nMIME-Version: 1.0\r\n' +
    `Content-Type: multipart/mixed; boundary="${boundary}"\r\n\r\n` +
    `--${boundary}\r\n${content.join('\r\n')}${content.length ? '\r\n' : ''}\r\n${body}\r\n`;
  for (const attachment of draft.attachments) {
    out += `--${boundary}\r\nContent-Type: ${attachment.contentType}; name="${attachment.name}"\r\n` +
      `Content-Disposition: ${attachment.isInline ? 'inline' : 'attachment'}; filename="${attachment.name}"\r\n` +
      (attachment.contentId ? `Content-ID: <${attachment.contentId}>\r\n` : '') +
      'Content-Transfer-Encoding: base64\r\n\r\n' +
      attachment.bytes.toString('base64').replace(/.{76}/g, '$&\r\n') + '\r\n';
  }
  return out + `--${boundary}--\r\n`;
}

async function sendDraft(req, res, mailbox, id) {
  await readBody(req, 65536);
  if (!await authorize(req, res, mailbox, 'Mail.Send')) return undefined;
  const draft = draftFor(req, res, mailbox, id);
  if (!draft) return undefined;
  const fault = takeFault('send');
  if (fault.status && !fault.deliver) return answerFault(req, res, fault);
  const recipients = recipientsOf(parseHeader(draft.mime));
  if (recipients.length === 0) {
    return graphError(req, res, 400, 'ErrorInvalidRecipients',
      "At least one recipient is not valid., A message can't be sent because it contains no recipients.");
  }
  const message = assemble(draft);
  const path = join(outbox, `${accepted.length + 1}.eml`);
  writeFileSync(path, Buffer.from(message, 'latin1'));
  accepted.push({ mailbox, recipients, size: message.length, path, draft: true,
    clientRequestId: req.headers['client-request-id'] || '',
    attachments: draft.attachments.map((a) => ({ name: a.name, size: a.bytes.length, contentType: a.contentType,
      isInline: a.isInline, contentId: a.contentId, sha256: createHash('sha256').update(a.bytes).digest('hex') })) });
  drafts.delete(id);  // sent: it moves to Sent Items
  console.log(`${new Date().toISOString()} sent draft for ${mailbox} to ${recipients.join(', ')} (${message.length} bytes, ${draft.attachments.length} attachments)`);
  if (fault.status) return answerFault(req, res, fault);
  return send(req, res, 202);
}

async function deleteDraft(req, res, mailbox, id) {
  await readBody(req, 65536);
  if (!await authorize(req, res, mailbox, 'Mail.ReadWrite')) return undefined;
  const fault = takeFault('delete');
  if (fault.status) return answerFault(req, res, fault);
  if (!draftFor(req, res, mailbox, id)) return undefined;
  drafts.delete(id);
  for (const [key, session] of sessions) if (session.draftId === id) sessions.delete(key);
  return send(req, res, 204);
}

// The upload origin: pre-authenticated URLs, no Authorization header.
async function upload(req, res, url) {
  const match = /AttachmentSessions\('([0-9a-f]+)'\)$/.exec(url.pathname);
  const session = match ? sessions.get(match[1]) : undefined;
  if (req.headers.authorization) {
    await readBody(req, 0);
    return graphError(req, res, 401, 'InvalidAudienceForResource',
      'The audience claim value is invalid for current resource. An upload URL takes no Authorization header.');
  }
  if (!session || url.searchParams.get('authtoken') !== session.secret) {
    await readBody(req, 0);
    return graphError(req, res, 404, 'ErrorItemNotFound', 'The upload session was not found.');
  }
  if (Date.now() > session.expires.getTime()) {
    await readBody(req, 0);
    sessions.delete(match[1]);
    return graphError(req, res, 404, 'ErrorItemNotFound', 'The upload session has expired.');
  }
  if (req.method === 'DELETE') {
    await readBody(req, 0);
    sessions.delete(match[1]);
    return send(req, res, 204);
  }
  if (req.method !== 'PUT') return graphError(req, res, 405, 'ErrorInvalidRequest', 'Only PUT and DELETE.');
  if (!admit(req, res, session.mailbox)) { await readBody(req, 0); return undefined; }
  const fault = takeFault('upload');
  const { size, body } = await readBody(req, kLimit);
  if (fault.expire) {  // the session's lifetime ends now: the answer an expired session gets
    sessions.delete(match[1]);
    return graphError(req, res, 404, 'ErrorItemNotFound', 'The upload session has expired.');
  }
  if (fault.status && !fault.deliver) return answerFault(req, res, fault);
  const range = /^bytes (\d+)-(\d+)\/(\d+)$/.exec(req.headers['content-range'] || '');
  if (!range) return graphError(req, res, 400, 'ErrorInvalidRequest', 'Content-Range must be "bytes first-last/total".');
  const [first, last, total] = range.slice(1).map(Number);
  if (total !== session.item.size) {
    return graphError(req, res, 400, 'ErrorInvalidRequest', `The total ${total} differs from the attachment's size ${session.item.size}.`);
  }
  if (first > last || last >= total) return graphError(req, res, 400, 'ErrorInvalidRequest', 'The range is outside the attachment.');
  if (last - first + 1 > kLimit || size > kLimit) {
    return graphError(req, res, 413, 'ErrorRequestEntityTooLarge', 'A chunk must be under 4 MB.');
  }
  if (Number(req.headers['content-length']) !== last - first + 1 || size !== last - first + 1) {
    return graphError(req, res, 400, 'ErrorInvalidRequest', 'Content-Length differs from the range.');
  }
  if (first !== session.next) {  // a gap or an overlap
    return send(req, res, 416, { error: { code: 'InvalidRange', message: `Expected the range to start at ${session.next}.` },
      nextExpectedRanges: [`${session.next}-`] });
  }
  session.chunks.push(body);
  session.next = last + 1;
  if (fault.status) return answerFault(req, res, fault);  // "deliver": taken, the answer lost
  if (session.next < total) {
    return send(req, res, 200, { '@odata.context': 'https://outlook.office.com/api/v2.0/$metadata#Microsoft.OutlookServices.UploadSession',
      ExpirationDateTime: session.expires.toISOString(), NextExpectedRanges: [String(session.next)] });
  }
  sessions.delete(match[1]);
  const draft = drafts.get(session.draftId);
  if (!draft) return graphError(req, res, 404, 'ErrorItemNotFound', 'The draft is gone.');
  const attachment = { id: 'AAMkAtt' + randomBytes(12).toString('base64url'), name: session.item.name,
    contentType: session.item.contentType || 'application/octet-stream', isInline: Boolean(session.item.isInline),
    contentId: session.item.contentId || '', bytes: Buffer.concat(session.chunks) };
  draft.attachments.push(attachment);
  return send(req, res, 201, undefined, { location:
    `${graphBase()}/v1.0/users('${encodeURIComponent(session.mailbox)}')/messages('${session.draftId}')/attachments('${attachment.id}')` });
}

function graphBase() {
  return `http://127.0.0.1:${server.address().port}`;
}

// Every request, for the tests: origin, method, path, headers that matter, status.
function logRequests(origin) {
  return (req, res) => {
    const entry = { origin, method: req.method, path: req.url.split('?')[0], authorization: Boolean(req.headers.authorization),
      contentRange: req.headers['content-range'] || '', contentLength: Number(req.headers['content-length'] || 0), status: 0 };
    if (!req.url.startsWith('/test/')) {
      if (requestLog.length >= 10000) requestLog.shift();
      requestLog.push(entry);
    }
    res.on('finish', () => { entry.status = res.statusCode; });
  };
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
    if (req.method === 'POST' && ['/test/permissions', '/test/shared', '/test/limits'].includes(url.pathname)) {
      const { body } = await readBody(req, 65536);
      const settings = JSON.parse(body.toString('utf8'));
      if (url.pathname === '/test/permissions') granted = new Set(settings.granted || []);
      if (url.pathname === '/test/shared') shared = new Set((settings.mailboxes || []).map((m) => m.toLowerCase()));
      if (url.pathname === '/test/limits') Object.assign(limits, settings);
      return send(req, res, 200, { granted: [...granted], shared: [...shared], limits });
    }
    if (req.method === 'GET' && url.pathname === '/test/requests') return send(req, res, 200, requestLog);
    if (req.method === 'GET' && url.pathname === '/test/drafts') {
      return send(req, res, 200, [...drafts].map(([id, d]) => ({ id, mailbox: d.mailbox, attachments: d.attachments.length })));
    }
    const sendMailPath = /^\/v1\.0\/users\/([^/]+)\/sendMail$/.exec(url.pathname);
    const draftPath = /^\/v1\.0\/users\/([^/]+)\/messages(?:\/([^/]+)(\/send|\/attachments|\/attachments\/createUploadSession)?)?$/.exec(url.pathname);
    if (!sendMailPath && !draftPath) return graphError(req, res, 400, 'BadRequest', `Resource not found for the segment '${url.pathname}'.`);
    const mailbox = decodeURIComponent((sendMailPath || draftPath)[1]).toLowerCase();
    if (!admit(req, res, mailbox)) { await readBody(req, 0); return undefined; }
    if (draftPath) {
      const id = draftPath[2] && decodeURIComponent(draftPath[2]);
      const what = draftPath[3] || '';
      if (req.method === 'POST' && !id) return await createDraft(req, res, mailbox);
      if (req.method === 'DELETE' && id && !what) return await deleteDraft(req, res, mailbox, id);
      if (req.method === 'POST' && what === '/attachments') return await addAttachment(req, res, mailbox, id);
      if (req.method === 'POST' && what === '/attachments/createUploadSession') return await createUploadSession(req, res, mailbox, id);
      if (req.method === 'POST' && what === '/send') return await sendDraft(req, res, mailbox, id);
      return graphError(req, res, 405, 'Request_BadRequest', `${req.method} ${url.pathname} is not emulated.`);
    }
    if (req.method !== 'POST') return graphError(req, res, 405, 'Request_BadRequest', 'Only POST is emulated.');
    maxInFlight = Math.max(maxInFlight, ++inFlight);
    try {
      if (slowMs) await new Promise((resolve) => setTimeout(resolve, slowMs));
      return await sendMail(req, res, mailbox);
    } finally {
      inFlight--;
    }
  } catch (error) {
    return graphError(req, res, 500, 'generalException', String(error && error.message));
  }
});
server.on('request', logRequests('graph'));
const uploadServer = createServer(async (req, res) => {
  try {
    return await upload(req, res, new URL(req.url, 'http://127.0.0.1'));
  } catch (error) {
    return graphError(req, res, 500, 'generalException', String(error && error.message));
  }
});
uploadServer.on('request', logRequests('upload'));
uploadServer.listen(0, '127.0.0.1', () => {
  uploadPort = uploadServer.address().port;
  server.listen(0, '127.0.0.1', () => {
    console.log(`graph emulator listening on ${server.address().port} (uploads on ${uploadPort})`);
  });
});
process.on('SIGTERM', () => {
  for (const res of hanging) res.destroy();
  uploadServer.close();
  server.close(() => process.exit(0));
  setTimeout(() => process.exit(0), 1000).unref();
});
