/**
 * `npm run token -- admin` | `-- partner <partnerId>` | `-- service`, optionally `--email <address>`: prints a
 * bearer token signed with the embedded dev key (valid 12 hours). Production tokens come from the identity provider instead: in production
 * mode it refuses (exit code 2), since no production gateway accepts a dev token.
 */
import { careGraphMode, dataDir, ROLES, type Role, signDevToken } from '@care-graph/service-kit';
import { runCommand, UsageError } from './cli';

const USAGE = `usage: npm run -s token -- <${ROLES.join('|')}> [partnerId] [--email <address>]

Prints a bearer token signed with the embedded dev key in DATA_DIR (default .data), valid 12 hours.
Partner tokens need the partner's id. --email puts the address in the token's email claim (where the
email about a backfill you start goes). Production tokens come from your identity provider.`;

/** The shape of an address worth a claim: one @, no spaces (the mail server has the last word). */
const EMAIL = /^[^\s@]+@[^\s@]+$/;

runCommand({
  usage: USAGE,
  failureExitCode: 2,
  async run(argv) {
    const { args, email } = takeEmail(argv);
    const [role, partnerId] = args;
    if (!role) throw new UsageError('Name the role of the token.');
    if (!ROLES.includes(role as Role)) throw new UsageError(`Unknown role "${role}".`);
    if (role === 'partner' && !partnerId)
      throw new UsageError('A partner token needs the partner id: npm run token -- partner <partnerId>');
    const extra = args.slice(role === 'partner' ? 2 : 1);
    if (extra.length > 0) throw new UsageError(`Unexpected argument "${extra[0]}".`);
    const { mode, reason } = careGraphMode();
    if (mode === 'production') {
      throw new Error(
        `npm run token mints dev tokens, which only embedded mode accepts, and this environment means production mode (${reason}). ` +
          'Get a token from your identity provider, or set CARE_GRAPH_MODE=embedded for a local graph.',
      );
    }
    if (process.env.AUTH_JWKS_URL) {
      console.error('note: AUTH_JWKS_URL is set, so the gateway will not accept dev tokens; get a token from your identity provider.');
    }
    const token = await signDevToken(dataDir(), {
      subject: role === 'partner' ? `partner:${partnerId}` : `dev-${role}`,
      role: role as Role,
      ...(role === 'partner' ? { partnerId } : {}),
      ...(email ? { email } : {}),
    });
    process.stdout.write(`${token}\n`);
  },
});

/** `argv` without its `--email <address>` option, and the address. */
function takeEmail(argv: string[]): { args: string[]; email?: string } {
  const at = argv.indexOf('--email');
  if (at < 0) return { args: argv };
  const email = argv[at + 1];
  if (!email || !EMAIL.test(email)) throw new UsageError('--email needs an address, e.g. --email ada@example.org');
  return { args: [...argv.slice(0, at), ...argv.slice(at + 2)], email };
}
