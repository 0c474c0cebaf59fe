/**
 * `npm run token -- admin` | `-- partner <partnerId>` | `-- service`: prints a bearer token signed with the
 * embedded dev key (valid 12 hours). Production tokens come from the identity provider instead.
 */
import { ROLES, dataDir, signDevToken, type Role } from '@care-graph/service-kit';

async function main() {
  const [role, partnerId] = process.argv.slice(2);
  if (!role || !ROLES.includes(role as Role)) {
    throw new Error(`usage: npm run token -- <${ROLES.join('|')}> [partnerId]   (partner tokens need the partner's id)`);
  }
  if (role === 'partner' && !partnerId) throw new Error('A partner token needs the partner id: npm run token -- partner <partnerId>');
  if (process.env.AUTH_JWKS_URL) {
    console.error('note: AUTH_JWKS_URL is set, so the gateway will not accept dev tokens; get a token from your identity provider.');
  }
  const token = await signDevToken(dataDir(), {
    subject: role === 'partner' ? `partner:${partnerId}` : `dev-${role}`,
    role: role as Role,
    ...(role === 'partner' ? { partnerId } : {}),
  });
  process.stdout.write(`${token}\n`);
}

main().catch((error: Error) => {
  console.error(error.message);
  process.exit(2);
});
