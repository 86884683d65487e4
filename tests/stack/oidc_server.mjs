// TEST-ONLY OAuth2 / OpenID Connect server for the mailoauth integration stack.
//
// It wraps oidc-provider (a certified OpenID Connect implementation we did not
// write) so that mailoauth's grants are tested against real protocol behaviour:
// client credentials, authorization code + PKCE (S256, required), rotating
// refresh tokens, the device flow, introspection (Dovecot checks every IMAP and
// submission token here) and revocation. Everything that is ours is small and
// test-only: the account list, clients read from a JSON file written by
// tests/stack/start (so secrets and ports are chosen per run), and two
// unattended "user" shortcuts marked TEST ONLY below, which log in the user named
// by login_hint and consent without a browser. State lives in memory: restarting
// the server invalidates every token, which is what a fresh stack should do.
//
// Usage: node oidc_server.mjs CONFIG.json   (see tests/stack/start for the shape)

import { readFileSync } from 'node:fs';
import { generateKeyPair, randomBytes, X509Certificate, createHash } from 'node:crypto';
import { promisify } from 'node:util';

// A fresh RS256 signing key per run (ID tokens only; access tokens are opaque).
// Generated on the thread pool while oidc-provider loads: start-up time matters.
const keyPair = promisify(generateKeyPair)('rsa', { modulusLength: 2048 });
const { Provider } = await import('oidc-provider');

const configPath = process.argv[2];
if (!configPath) {
  console.error('usage: node oidc_server.mjs CONFIG.json');
  process.exit(2);
}
const config = JSON.parse(readFileSync(configPath, 'utf8'));
const issuer = `http://127.0.0.1:${config.port}`;

// A client with `jwks_from_certificate_file` (ours, not client metadata) gets
// the certificate's public key as its JWKS, the way an app registration holds
// an uploaded certificate: kid = x5t#S256, x5c = the DER certificate.
for (const client of config.clients) {
  const file = client.jwks_from_certificate_file;
  if (!file) continue;
  delete client.jwks_from_certificate_file;
  const certificate = new X509Certificate(readFileSync(file));
  const thumbprint = createHash('sha256').update(certificate.raw).digest('base64url');
  client.jwks = {
    keys: [{
      ...certificate.publicKey.export({ format: 'jwk' }),
      kid: thumbprint, 'x5t#S256': thumbprint, use: 'sig', alg: 'RS256',
      x5c: [certificate.raw.toString('base64')],
    }],
  };
}

// End users, keyed by account id (= their mail address, which is also the name
// Dovecot logs them in as). Short names are accepted as login_hint too.
const accounts = new Map(config.users.map((u) => [u.email, u]));
function resolveAccount(hint) {
  if (!hint) return accounts.get(config.users[0].email);
  if (accounts.has(hint)) return accounts.get(hint);
  return config.users.find((u) => u.email.split('@')[0] === hint);
}

const { privateKey } = await keyPair;
const signingKey = { ...privateKey.export({ format: 'jwk' }), kid: 'stack-rs256', use: 'sig', alg: 'RS256' };

const configuration = {
  clients: config.clients,
  jwks: { keys: [signingKey] },
  cookies: { keys: [randomBytes(32).toString('hex')] },
  scopes: ['openid', 'email', 'offline_access', config.mailScope],
  claims: { openid: ['sub'], email: ['email', 'email_verified'] },
  // Custom client metadata: the mailbox a client-credentials token stands for,
  // and a per-client access-token lifetime (cc-alice-short uses ~3 s).
  extraClientMetadata: {
    properties: ['mailbox', 'access_token_ttl'],
  },
  features: {
    devInteractions: { enabled: false },
    clientCredentials: { enabled: true },
    // Any confidential client may introspect (Dovecot's client does); a
    // public client only its own tokens. A client revokes only its own tokens.
    introspection: {
      enabled: true,
      allowedPolicy: async (ctx, client, token) => client.clientAuthMethod !== 'none'
        || token.clientId === ctx.oidc.client.clientId,
    },
    revocation: {
      enabled: true,
      allowedPolicy: async (ctx, client, token) => token.clientId === client.clientId,
    },
    deviceFlow: { enabled: true },
  },
  pkce: { required: () => true },
  // Refresh tokens whenever the client may use them (not only with
  // offline_access + prompt=consent), not bound to the browser session, and
  // rotated on every use: the old one then fails with invalid_grant.
  issueRefreshToken: async (ctx, client) => client.grantTypeAllowed('refresh_token'),
  expiresWithSession: async () => false,
  rotateRefreshToken: true,
  ttl: {
    AccessToken: (ctx, token, client) => client?.access_token_ttl ?? 3600,
    ClientCredentials: (ctx, token, client) => client?.access_token_ttl ?? 3600,
    AuthorizationCode: 120,
    DeviceCode: 600,
    RefreshToken: 14 * 24 * 3600,
    Grant: 14 * 24 * 3600,
    Interaction: 600,
    Session: 14 * 24 * 3600,
    IdToken: 3600,
  },
  // The claim Dovecot reads as the user name (username_attribute = email).
  // Client-credentials tokens have no end user: the client's mailbox is used.
  extraTokenClaims: async (ctx, token) => {
    if (token.kind === 'ClientCredentials') {
      const client = await provider.Client.find(token.clientId);
      return client?.mailbox ? { email: client.mailbox } : undefined;
    }
    if (token.accountId && accounts.has(token.accountId)) {
      return { email: token.accountId };
    }
    return undefined;
  },
  findAccount: async (ctx, sub) => {
    const user = accounts.get(sub);
    if (!user) return undefined;
    return {
      accountId: sub,
      claims: async () => ({ sub, email: user.email, email_verified: true }),
    };
  },
  interactions: { url: (ctx, interaction) => `/interaction/${interaction.uid}` },
  renderError: async (ctx, out) => {
    ctx.type = 'json';
    ctx.body = out;
  },
};

const provider = new Provider(issuer, configuration);

// Log one line per token event so a failing test can be diagnosed from the log
// without printing any token value.
for (const event of ['grant.success', 'grant.error', 'introspection.error',
  'revocation.error', 'server_error', 'authorization.error', 'authorization.success']) {
  provider.on(event, (ctx, err) => {
    const e = err || (ctx instanceof Error ? ctx : undefined);
    const client = ctx?.oidc?.client?.clientId ?? '-';
    console.log(`${new Date().toISOString()} ${event} client=${client}${e ? ` error=${e.error || e.name} ${e.error_description || e.message}` : ''}`);
  });
}

async function readForm(ctx) {
  const chunks = [];
  for await (const chunk of ctx.req) chunks.push(chunk);
  return new URLSearchParams(Buffer.concat(chunks).toString('utf8'));
}

// TEST ONLY: unattended login + consent. Whatever the prompt, the user named
// by login_hint (default: the first user) is logged in and every requested
// scope is granted. An unknown login_hint ends the flow with access_denied.
provider.use(async (ctx, next) => {
  const match = /^\/interaction\/([^/]+)$/.exec(ctx.path);
  if (!match || ctx.method !== 'GET') return next();
  const details = await provider.interactionDetails(ctx.req, ctx.res);
  const { params } = details;
  const account = resolveAccount(params.login_hint);
  let result;
  if (!account) {
    result = { error: 'access_denied', error_description: 'test interaction: unknown login_hint' };
  } else {
    const grant = details.grantId
      ? await provider.Grant.find(details.grantId)
      : new provider.Grant({ accountId: account.email, clientId: params.client_id });
    if (params.scope) grant.addOIDCScope(params.scope);
    const missingClaims = details.prompt.details.missingOIDCClaims;
    if (missingClaims) grant.addOIDCClaims(missingClaims);
    result = { login: { accountId: account.email }, consent: { grantId: await grant.save() } };
  }
  const location = await provider.interactionResult(ctx.req, ctx.res, result, { mergeWithLastSubmission: false });
  ctx.status = 303;
  ctx.redirect(location);
});

// TEST ONLY: approve (or deny with deny=1) a pending device authorization
// without the browser pages. POST user_code=..&login_hint=.. ; JSON answer.
provider.use(async (ctx, next) => {
  if (ctx.path !== '/test/device/approve' || ctx.method !== 'POST') return next();
  const form = await readForm(ctx);
  const userCode = (form.get('user_code') || '').toUpperCase().replace(/\W/g, '');
  const code = userCode ? await provider.DeviceCode.findByUserCode(userCode) : undefined;
  ctx.type = 'json';
  if (!code || code.accountId || code.error || code.consumed) {
    ctx.status = 404;
    ctx.body = { error: 'unknown, used or expired user_code' };
    return;
  }
  if (form.get('deny') === '1') {
    Object.assign(code, { error: 'access_denied', errorDescription: 'test approval endpoint: denied' });
    await code.save();
    ctx.body = { denied: true };
    return;
  }
  const account = resolveAccount(form.get('login_hint'));
  if (!account) {
    ctx.status = 400;
    ctx.body = { error: 'unknown login_hint' };
    return;
  }
  const scope = code.params?.scope || 'openid';
  const grant = new provider.Grant({ accountId: account.email, clientId: code.clientId });
  grant.addOIDCScope(scope);
  grant.addOIDCClaims(['email', 'email_verified']);
  Object.assign(code, {
    accountId: account.email,
    grantId: await grant.save(),
    scope,
    authTime: Math.floor(Date.now() / 1000),
    amr: ['pwd'],
  });
  await code.save();
  ctx.body = { approved: true, account: account.email };
});

provider.listen(config.port, '127.0.0.1', () => {
  console.log(`${new Date().toISOString()} oidc test server listening, issuer ${issuer}`);
});
