// The OpenID provider of hexauth's end-to-end suite: node-oidc-provider (OpenID
// Certified), two issuers mounted on one loopback host (/realms/a and /realms/b), with
// the clients, users and features docs/e2e.md lists. Nothing here is hexauth code: the
// point is a provider nobody on the project wrote, configured as a deployment would be.
//
// Usage: node provider/server.mjs [--port N] [--client-jwks FILE]
// It listens on 127.0.0.1 only and prints one JSON line on stdout once it serves:
//   {"base":"http://127.0.0.1:PORT","issuers":{"a":".../realms/a","b":".../realms/b"}}
// --client-jwks names a JSON Web Key Set (public keys) for the private_key_jwt client; the
// Go suite generates the key pair and keeps the private half.
//
// Test-only endpoints (loopback, under /test/): GET /test/counts returns the token
// endpoint calls per realm and grant type ({"a":{"refresh_token":{"ok":1,"error":0}}})
// and per client authentication method ("auth:client_secret_post"),
// POST /test/reset zeroes them.

import { generateKeyPairSync, randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import http from 'node:http';
import { parseArgs } from 'node:util';

import Provider from 'oidc-provider';

const { values: args } = parseArgs({
  options: {
    port: { type: 'string', default: '0' },
    'client-jwks': { type: 'string' },
  },
});

// Users of each realm. The same sub in both realms on purpose: hexauth must keep the two
// issuers' accounts apart although the subject and the username are equal.
const users = {
  a: { alice: { sub: 'user-1', password: 'alice-pass-a', email: 'alice@a.example' }, bob: { sub: 'user-2', password: 'bob-pass-a', email: 'bob@a.example' } },
  b: { alice: { sub: 'user-1', password: 'alice-pass-b', email: 'alice@b.example' } },
};

const loopback = ['http://127.0.0.1/'];
const userGrants = ['authorization_code', 'refresh_token', 'urn:ietf:params:oauth:grant-type:device_code'];
const clientJWKS = args['client-jwks'] ? JSON.parse(readFileSync(args['client-jwks'], 'utf8')) : undefined;

function clients() {
  const list = [
    // A public native client: PKCE (required for auth method none), any loopback port
    // (RFC 8252 §7.3), refresh tokens rotated on every use, the device flow.
    { client_id: 'public-pkce', application_type: 'native', token_endpoint_auth_method: 'none', redirect_uris: loopback, grant_types: userGrants, response_types: ['code'] },
    // The CLI stampede client: its first access token lives 2 s (see accessTokenTTL), so
    // the cached token is expired when 20 processes start.
    { client_id: 'public-short', application_type: 'native', token_endpoint_auth_method: 'none', redirect_uris: loopback, grant_types: userGrants, response_types: ['code'] },
    // The device flow's expiry: its device codes live 2 s (see deviceCodeTTL).
    { client_id: 'device-expiring', application_type: 'native', token_endpoint_auth_method: 'none', redirect_uris: loopback, grant_types: userGrants, response_types: ['code'] },
    // Confidential clients, one per client authentication method.
    // A web app: a confidential client signing users in (auth code, PKCE too, refresh).
    { client_id: 'conf-web', client_secret: 'web-secret-0123456789', token_endpoint_auth_method: 'client_secret_basic', redirect_uris: ['http://127.0.0.1:49152/'], grant_types: ['authorization_code', 'refresh_token'], response_types: ['code'] },
    { client_id: 'conf-basic', client_secret: 'basic-secret-0123456789', token_endpoint_auth_method: 'client_secret_basic', grant_types: ['client_credentials'], response_types: [], redirect_uris: [], scope: 'api:read api:write' },
    { client_id: 'conf-post', client_secret: 'post-secret-0123456789', token_endpoint_auth_method: 'client_secret_post', grant_types: ['client_credentials'], response_types: [], redirect_uris: [], scope: 'api:read api:write' },
  ];
  if (clientJWKS) {
    list.push({ client_id: 'conf-jwt', token_endpoint_auth_method: 'private_key_jwt', jwks: clientJWKS, grant_types: ['client_credentials'], response_types: [], redirect_uris: [], scope: 'api:read api:write' });
  }
  // One public client per ID token signature algorithm.
  for (const alg of ['RS256', 'PS256', 'ES256', 'EdDSA', 'Ed25519']) {
    list.push({ client_id: `alg-${alg.toLowerCase()}`, application_type: 'native', token_endpoint_auth_method: 'none', redirect_uris: loopback, grant_types: userGrants, response_types: ['code'], id_token_signed_response_alg: alg });
  }
  return list;
}

// The provider's signing keys: RSA (RS256, PS256), P-256 (ES256) and Ed25519 (EdDSA),
// made fresh at every start (a restart is a key rotation).
function signingKeys() {
  const rsa = generateKeyPairSync('rsa', { modulusLength: 2048 }).privateKey.export({ format: 'jwk' });
  const ec = generateKeyPairSync('ec', { namedCurve: 'P-256' }).privateKey.export({ format: 'jwk' });
  const ed = generateKeyPairSync('ed25519').privateKey.export({ format: 'jwk' });
  // New key ids at every start, as a provider that rotates its keys names new ones.
  const id = randomBytes(4).toString('hex');
  return { keys: [{ ...rsa, kid: `rsa-${id}`, use: 'sig' }, { ...ec, kid: `ec-${id}`, use: 'sig' }, { ...ed, kid: `ed-${id}`, use: 'sig' }] };
}

const resource = 'https://api.e2e.test';
const counts = {};

function bump(realm, key, outcome) {
  counts[realm] ??= {};
  counts[realm][key] ??= { ok: 0, error: 0 };
  counts[realm][key][outcome] += 1;
}

// count records a token endpoint call under its grant type and under the client
// authentication method the request used ("auth:client_secret_post"): node-oidc-provider
// accepts a secret in the header or the body whatever the client registered, so the suite
// checks the method hexauth sent here.
function count(realm, ctx, outcome) {
  bump(realm, ctx.oidc?.params?.grant_type || 'unknown', outcome);
  const { params } = ctx.oidc || {};
  let method = 'none';
  if (ctx.headers.authorization) method = 'client_secret_basic';
  else if (params?.client_assertion) method = 'private_key_jwt';
  else if (params?.client_secret) method = 'client_secret_post';
  bump(realm, `auth:${method}`, outcome);
}

function newProvider(base, realm) {
  const issuer = `${base}/realms/${realm}`;
  const accounts = users[realm];
  const provider = new Provider(issuer, {
    clients: clients(),
    jwks: signingKeys(),
    cookies: {
      keys: [randomBytes(32).toString('hex')],
      // Two issuers share the host: their cookies must not collide.
      names: { session: `_session_${realm}`, interaction: `_interaction_${realm}`, resume: `_interaction_resume_${realm}` },
    },
    findAccount(_ctx, id) {
      const user = Object.entries(accounts).find(([, u]) => u.sub === id);
      if (!user) return undefined;
      const [name, u] = user;
      return { accountId: u.sub, claims: () => ({ sub: u.sub, preferred_username: name, email: u.email, name }) };
    },
    claims: { openid: ['sub'], profile: ['name', 'preferred_username'], email: ['email'] },
    scopes: ['openid', 'offline_access', 'profile', 'email', 'api:read', 'api:write'],
    pkce: { required: () => true },
    features: {
      devInteractions: { enabled: false },
      clientCredentials: { enabled: true },
      deviceFlow: { enabled: true },
      revocation: { enabled: true },
      // The access tokens are for one API, as a real deployment's would be.
      resourceIndicators: {
        enabled: true,
        defaultResource: () => resource,
        useGrantedResource: () => true,
        getResourceServerInfo: (_ctx, indicator) => {
          if (indicator !== resource) throw new Provider.errors.InvalidTarget();
          return { scope: 'api:read api:write', audience: resource, accessTokenFormat: 'jwt', jwt: { sign: { alg: 'RS256' } } };
        },
      },
    },
    // Every refresh rotates the refresh token; node-oidc-provider revokes the whole grant
    // when a spent one is presented again (reuse detection).
    rotateRefreshToken: () => true,
    ttl: {
      AccessToken: accessTokenTTL,
      ClientCredentials: 3600,
      IdToken: 3600,
      RefreshToken: 14 * 24 * 3600,
      Grant: 14 * 24 * 3600,
      Session: 24 * 3600,
      Interaction: 600,
      AuthorizationCode: 60,
      DeviceCode: deviceCodeTTL,
    },
    interactions: { url: (_ctx, interaction) => `/realms/${realm}/interaction/${interaction.uid}` },
  });
  provider.on('grant.success', (ctx) => count(realm, ctx, 'ok'));
  provider.on('grant.error', (ctx) => count(realm, ctx, 'error'));
  return provider;
}

// accessTokenTTL gives the stampede client's first token (from the authorization code)
// two seconds, every other access token an hour.
function accessTokenTTL(ctx, _token, client) {
  if (client?.clientId === 'public-short' && ctx?.oidc?.params?.grant_type === 'authorization_code') {
    return 2;
  }
  return 3600;
}

// deviceCodeTTL gives device-expiring's device codes two seconds, others ten minutes.
function deviceCodeTTL(_ctx, _token, client) {
  return client?.clientId === 'device-expiring' ? 2 : 600;
}

// ---- interaction pages: a login form with a password, then a consent form ----

const esc = (s) => String(s).replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);

function page(title, body) {
  return `<!doctype html><html><head><meta charset="utf-8"><title>${esc(title)}</title></head><body><h1>${esc(title)}</h1>${body}</body></html>`;
}

async function readForm(req) {
  const chunks = [];
  let size = 0;
  for await (const c of req) {
    size += c.length;
    if (size > 64 * 1024) throw new Error('form too large');
    chunks.push(c);
  }
  return new URLSearchParams(Buffer.concat(chunks).toString('utf8'));
}

function send(res, status, type, body) {
  res.writeHead(status, { 'content-type': type, 'cache-control': 'no-store' });
  res.end(body);
}

async function interaction(provider, realm, req, res, uid) {
  const details = await provider.interactionDetails(req, res);
  if (details.uid !== uid) return send(res, 400, 'text/plain', 'interaction mismatch');
  const { prompt, params, session } = details;
  const action = `/realms/${realm}/interaction/${uid}`;

  if (req.method === 'GET') {
    if (prompt.name === 'login') {
      return send(res, 200, 'text/html', page('Sign in', `<form method="post" action="${action}">
<input type="hidden" name="prompt" value="login">
<input name="login" value="${esc(params.login_hint || '')}"><input type="password" name="password">
<button type="submit">Sign in</button></form>`));
    }
    return send(res, 200, 'text/html', page('Authorize', `<p>${esc(params.client_id)} asks for ${esc(params.scope || '')}</p>
<form method="post" action="${action}"><input type="hidden" name="prompt" value="consent"><button type="submit">Allow</button></form>
<form method="post" action="${action}"><input type="hidden" name="prompt" value="deny"><button type="submit">Deny</button></form>`));
  }

  const form = await readForm(req);
  switch (form.get('prompt')) {
    case 'login': {
      const name = form.get('login') || '';
      const user = Object.hasOwn(users[realm], name) ? users[realm][name] : undefined;
      if (!user || user.password !== form.get('password')) {
        return send(res, 200, 'text/html', page('Sign in', `<p class="error">Wrong username or password.</p><form method="post" action="${action}">
<input type="hidden" name="prompt" value="login"><input name="login"><input type="password" name="password"><button type="submit">Sign in</button></form>`));
      }
      return provider.interactionFinished(req, res, { login: { accountId: user.sub } }, { mergeWithLastSubmission: false });
    }
    case 'consent': {
      const grant = details.grantId
        ? await provider.Grant.find(details.grantId)
        : new provider.Grant({ accountId: session.accountId, clientId: params.client_id });
      const d = prompt.details;
      if (d.missingOIDCScope) grant.addOIDCScope(d.missingOIDCScope.join(' '));
      if (d.missingOIDCClaims) grant.addOIDCClaims(d.missingOIDCClaims);
      for (const [indicator, scopes] of Object.entries(d.missingResourceScopes || {})) grant.addResourceScope(indicator, scopes.join(' '));
      const grantId = await grant.save();
      return provider.interactionFinished(req, res, { consent: { grantId } }, { mergeWithLastSubmission: true });
    }
    default:
      return provider.interactionFinished(req, res, { error: 'access_denied', error_description: 'the user denied the request' }, { mergeWithLastSubmission: false });
  }
}

// ---- one http server, two providers ----

const server = http.createServer();
const providers = {};
const handlers = {};

server.on('request', async (req, res) => {
  try {
    const url = new URL(req.url, 'http://127.0.0.1');
    if (url.pathname === '/test/counts' && req.method === 'GET') {
      return send(res, 200, 'application/json', JSON.stringify(counts));
    }
    if (url.pathname === '/test/reset' && req.method === 'POST') {
      for (const k of Object.keys(counts)) delete counts[k];
      return send(res, 204, 'text/plain', '');
    }
    const m = url.pathname.match(/^\/realms\/([ab])(\/.*)?$/);
    if (!m) return send(res, 404, 'text/plain', 'not found');
    const [, realm, rest = '/'] = m;
    const provider = providers[realm];
    const im = rest.match(/^\/interaction\/([\w-]+)$/);
    if (im) return await interaction(provider, realm, req, res, im[1]);
    // Mounted under /realms/X: the provider sees the rest of the path and finds its mount
    // point in originalUrl (as under express or koa-mount).
    req.originalUrl = req.url;
    req.url = rest + url.search;
    return handlers[realm](req, res);
  } catch (err) {
    console.error(err);
    if (!res.headersSent) send(res, 500, 'text/plain', 'internal error');
    return undefined;
  }
});

server.listen(Number(args.port), '127.0.0.1', () => {
  const base = `http://127.0.0.1:${server.address().port}`;
  for (const realm of ["a", "b"]) {
    providers[realm] = newProvider(base, realm);
    handlers[realm] = providers[realm].callback();
  }
  process.stdout.write(`${JSON.stringify({ base, issuers: { a: `${base}/realms/a`, b: `${base}/realms/b` } })}\n`);
});

for (const sig of ['SIGINT', 'SIGTERM']) process.on(sig, () => server.close(() => process.exit(0)));
