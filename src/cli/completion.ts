// `pgbr completion bash|zsh`: shell completion scripts made from the commands and options the parser knows.
import { Argument, type Command } from 'commander';
import { PgbrError } from '../core/platform';
import type { CliContext } from './io';

/** A command as completion sees it: its words, the options that take a value (after which a file is completed). */
export interface CompletionNode {
  /** `pgbr backrest backup`: the command's path from the program. */
  path: string;
  subcommands: string[];
  /** The fixed values of its arguments (`bash zsh` for completion). */
  argumentChoices: string[];
  /** Long and short forms, `--help` included. */
  options: string[];
  valueOptions: string[];
  children: CompletionNode[];
}

export const SHELLS = ['bash', 'zsh'] as const;
export type Shell = (typeof SHELLS)[number];

/** Only plain names reach a script: nothing a shell would read as code. */
const WORD = /^-{0,2}[A-Za-z0-9][A-Za-z0-9_-]*$/;

export function completionTree(command: Command, parent?: string): CompletionNode {
  const path = parent === undefined ? command.name() : `${parent} ${command.name()}`;
  const visible = command.commands.filter((c) => !(c as unknown as { _hidden?: boolean })._hidden);
  const flags = (taking: boolean) => command.options.filter((o) => !o.hidden && (o.required || o.optional) === taking).flatMap((o) => [o.long, o.short]).filter((f): f is string => !!f && WORD.test(f));
  return {
    path,
    subcommands: visible.map((c) => c.name()).filter((n) => WORD.test(n)),
    argumentChoices: command.registeredArguments.flatMap((a) => a.argChoices ?? []).filter((v) => WORD.test(v)),
    options: [...flags(false), ...flags(true), '--help'],
    valueOptions: flags(true),
    children: visible.filter((c) => WORD.test(c.name())).map((c) => completionTree(c, path)),
  };
}

function allNodes(node: CompletionNode): CompletionNode[] {
  return [node, ...node.children.flatMap(allNodes)];
}

/** The words a command completes: its subcommands and argument values, then its options. */
const choices = (n: CompletionNode) => [...n.subcommands, ...n.argumentChoices, ...n.options].join(' ');

export function bashScript(tree: CompletionNode): string {
  const nodes = allNodes(tree);
  const parents = nodes.filter((n) => n !== tree).map((n) => `"${n.path}"`);
  const valueOptions = [...new Set(nodes.flatMap((n) => n.valueOptions))];
  return `# bash completion for pgbr (pgbr completion bash). Load it with: source <(pgbr completion bash)
_pgbr() {
  local cur="\${COMP_WORDS[COMP_CWORD]}" prev="\${COMP_WORDS[COMP_CWORD-1]}" cmdpath="${tree.path}" i w
  case "$prev" in
    ${valueOptions.length ? valueOptions.join('|') : '--'}) COMPREPLY=(); return 0 ;;
  esac
  for ((i = 1; i < COMP_CWORD; i++)); do
    w="\${COMP_WORDS[i]}"
    case "$w" in -*) continue ;; esac
    case "$cmdpath $w" in
      ${parents.length ? parents.join('|') : '""'}) cmdpath="$cmdpath $w" ;;
    esac
  done
  local words=""
  case "$cmdpath" in
${nodes.map((n) => `    "${n.path}") words="${choices(n)}" ;;`).join('\n')}
  esac
  COMPREPLY=($(compgen -W "$words" -- "$cur"))
}
complete -o default -F _pgbr ${tree.path}
`;
}

export function zshScript(tree: CompletionNode): string {
  const nodes = allNodes(tree);
  const parents = nodes.filter((n) => n !== tree).map((n) => `"${n.path}"`);
  const valueOptions = [...new Set(nodes.flatMap((n) => n.valueOptions))];
  // `path` is zsh's array tied to PATH: the command's path is kept in cmdpath.
  return `#compdef ${tree.path}
# zsh completion for pgbr (pgbr completion zsh). Load it with: source <(pgbr completion zsh), after compinit.
_pgbr() {
  local cmdpath="${tree.path}" w i
  local -a choices
  case "\${words[CURRENT-1]}" in
    (${valueOptions.length ? valueOptions.join('|') : '--'}) _files; return ;;
  esac
  for ((i = 2; i < CURRENT; i++)); do
    w="\${words[i]}"
    [[ "$w" == -* ]] && continue
    case "$cmdpath $w" in
      (${parents.length ? parents.join('|') : '""'}) cmdpath="$cmdpath $w" ;;
    esac
  done
  case "$cmdpath" in
${nodes.map((n) => `    ("${n.path}") choices=(${choices(n)}) ;;`).join('\n')}
  esac
  compadd -- "\${choices[@]}" || _files
}
if (( \${+functions[compdef]} )); then compdef _pgbr ${tree.path}; fi
`;
}

export function completionScript(shell: Shell, program: Command): string {
  return shell === 'bash' ? bashScript(completionTree(program)) : zshScript(completionTree(program));
}

/** Every group is loaded for this command (pgbr.ts), so the program it walks holds all of them. */
export function addCompletionCommands(program: Command, { io, exit }: CliContext): void {
  program
    .command('completion')
    .description('print a shell completion script: source <(pgbr completion bash), or zsh')
    .addArgument(new Argument('<shell>', 'the shell to complete in').choices(SHELLS))
    .action((shell: Shell) => {
      if (!SHELLS.includes(shell)) throw new PgbrError('usage', `pgbr completes in ${SHELLS.join(' and ')} only.`);
      io.out(completionScript(shell, program));
      exit(0);
    });
}
