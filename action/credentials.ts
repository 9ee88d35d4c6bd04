import type { Credentials } from "./sigv4.js";
import { setSecret } from "./workflow-commands.js";

/** Credentials and where they came from, for the debug log. */
export interface ResolvedCredentials {
  credentials: Credentials;
  source: string;
}

/**
 * Finds AWS credentials the way the SDK's default chain does. Its first
 * link is the environment, which is where aws-actions/configure-aws-
 * credentials (OIDC or keys) and `env:` secrets put them; that case is read
 * here directly. Anything else (a profile, a web identity token file, SSO,
 * ECS or EC2 instance roles on a self-hosted runner) loads the SDK, whose
 * import alone costs about twice a bare Node start, and asks its chain.
 * @throws Error saying how to provide credentials when the chain finds none
 */
export async function resolveCredentials(
  env: NodeJS.ProcessEnv,
  region: string,
): Promise<ResolvedCredentials> {
  const fromEnv = environmentCredentials(env);
  if (fromEnv !== undefined) {
    return { credentials: fromEnv, source: "environment" };
  }

  const { SQSClient } = await import("@aws-sdk/client-sqs");
  const client = new SQSClient({ region });
  try {
    const identity = await client.config.credentials();
    // Keys from the environment are masked by the runner already; these
    // came from a file or a role, and nothing masked them yet.
    setSecret(identity.secretAccessKey);
    if (identity.sessionToken !== undefined) {
      setSecret(identity.sessionToken);
    }
    return {
      credentials: {
        accessKeyId: identity.accessKeyId,
        secretAccessKey: identity.secretAccessKey,
        sessionToken: identity.sessionToken,
      },
      source: "the AWS SDK's default credential chain",
    };
  } catch (error) {
    const reason = error instanceof Error ? error.message : String(error);
    throw new Error(
      `no AWS credentials found (${reason}); add an aws-actions/configure-aws-credentials step before this one, or set AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY from secrets in the step's env`,
      { cause: error },
    );
  } finally {
    client.destroy();
  }
}

/**
 * The SDK's environment provider: both keys set, and no AWS_PROFILE, which
 * makes the SDK skip the environment in favour of that profile.
 */
function environmentCredentials(
  env: NodeJS.ProcessEnv,
): Credentials | undefined {
  const accessKeyId = env.AWS_ACCESS_KEY_ID ?? "";
  const secretAccessKey = env.AWS_SECRET_ACCESS_KEY ?? "";
  const profile = env.AWS_PROFILE ?? "";
  if (accessKeyId === "" || secretAccessKey === "" || profile !== "") {
    return undefined;
  }

  const sessionToken = env.AWS_SESSION_TOKEN;
  return {
    accessKeyId,
    secretAccessKey,
    sessionToken: sessionToken === "" ? undefined : sessionToken,
  };
}
