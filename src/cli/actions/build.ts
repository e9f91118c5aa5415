import { buildProfileImage } from '../../build/build.js';

/** `build`'s command-line flags (declared in ../commands/build.ts). */
export interface BuildFlags {
  baseImage?: string;
  app?: string;
  force?: boolean;
  offline?: boolean;
  pythonVersion?: string;
  verbose?: boolean;
}

/** `mcp-sandbox build <profile>` (declared in ../commands/build.ts). */
export async function buildAction(arg: string, flags: BuildFlags): Promise<void> {
  const result = await buildProfileImage(arg, {
    baseImage: flags.baseImage,
    appDir: flags.app,
    force: flags.force,
    offline: flags.offline,
    pythonVersion: flags.pythonVersion,
    log: (line) => process.stderr.write(`mcp-sandbox build: ${line}\n`),
    ...(flags.verbose ? { onOutput: (chunk: string): void => void process.stderr.write(chunk) } : {}),
  });
  process.stdout.write(`${result.image}\n`);
}
