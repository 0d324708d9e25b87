// An independent OpenID provider for the browser tests: panva's oidc-provider (OpenID-certified), on loopback, over
// https with a throw-away certificate. The test fixture (App.Tests/Infrastructure/ThirdPartyOidcProvider.cs) writes
// the configuration file, starts this script with its path, and waits for the "listening" line on stdout.
//
// Configuration file (JSON): { port, issuer, certFile, keyFile, clients: [oidc-provider client metadata],
//   accounts: { "<subject>": { email, email_verified, name, oid?, tid? } }, jwks?: { keys: [private JWKs] } }
// Every request to the authorization endpoint prints "authorization-request <method>", so a test can count them.
// Sign-in uses oidc-provider's built-in development login form: any password; the login is the account's subject.
import fs from 'node:fs';
import https from 'node:https';
import Provider from 'oidc-provider';

const settings = JSON.parse(fs.readFileSync(process.argv[2], 'utf8'));

const provider = new Provider(settings.issuer, {
  clients: settings.clients,
  // The fixture's own signing keys, so that a test can rotate them (restart with another set); without them
  // oidc-provider signs with a well-known development key.
  ...(settings.jwks ? { jwks: settings.jwks } : {}),
  // The development login form's "login" becomes the account id, and so the subject: accounts are keyed by it.
  async findAccount(ctx, id) {
    const account = settings.accounts[id];
    if (!account) {
      return undefined;
    }
    return { accountId: id, claims: async () => ({ ...account, sub: id }) };
  },
  claims: {
    // Entra's object and tenant ids (oid, tid) go with openid, as Entra sends them: lets a test carry a real legacy
    // user's ids from a non-Microsoft issuer.
    openid: ['sub', 'oid', 'tid'],
    email: ['email', 'email_verified'],
    profile: ['name'],
  },
  scopes: ['openid', 'profile', 'email'],
  // Entra and most providers put the requested claims in the ID token; the portal reads them from there.
  conformIdTokenClaims: false,
  features: {
    devInteractions: { enabled: true },
    rpInitiatedLogout: { enabled: true },
  },
  cookies: { keys: [settings.cookieKey ?? 'test-only-cookie-key'] },
  // Sign-in once per browser context; the consent screen is skipped for these first-party test clients.
  loadExistingGrant: async (ctx) => {
    const grantId = ctx.oidc.result?.consent?.grantId || ctx.oidc.session.grantIdFor(ctx.oidc.client.clientId);
    if (grantId) {
      return ctx.oidc.provider.Grant.find(grantId);
    }
    const grant = new ctx.oidc.provider.Grant({ clientId: ctx.oidc.client.clientId, accountId: ctx.oidc.session.accountId });
    grant.addOIDCScope('openid profile email');
    grant.addOIDCClaims(['sub', 'email', 'email_verified', 'name', 'oid', 'tid']);
    await grant.save();
    return grant;
  },
});

provider.on('server_error', (ctx, error) => console.error('server_error', error));

provider.use(async (ctx, next) => {
  if (ctx.path === '/auth') {
    console.log(`authorization-request ${ctx.method}`);
  }
  await next();
});

const server = https.createServer({ cert: fs.readFileSync(settings.certFile), key: fs.readFileSync(settings.keyFile) }, provider.callback());
server.listen(settings.port, '127.0.0.1', () => console.log(`listening ${settings.issuer}`));

// The fixture closes stdin to stop the provider (and a dying test process closes it too).
process.stdin.on('end', () => server.close(() => process.exit(0)));
process.stdin.resume();
for (const signal of ['SIGTERM', 'SIGINT']) {
  process.on(signal, () => process.exit(0));
}
