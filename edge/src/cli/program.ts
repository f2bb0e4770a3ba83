/**
 * The root command of both CLIs, with the conventions users expect from one: `--version`,
 * and a usage mistake answered by one line and a hint on stderr, exit 2 (curl's and
 * the README's code), never the whole help.
 */
import { Command } from 'commander';
import { agentVersion } from '../version.js';

/** Exit code of a usage mistake. */
export const USAGE_EXIT_CODE = 2;

export function cliProgram(name: string, description: string): Command {
  // Set on the root before any subcommand is added: commander copies these settings into
  // each subcommand when it is made.
  return new Command(name)
    .description(description)
    .version(agentVersion(), '-V, --version', 'print the version')
    .showHelpAfterError(`(run \`${name} --help\` for usage)`)
    .exitOverride((error) => process.exit(error.exitCode === 0 ? 0 : USAGE_EXIT_CODE));
}
