import { jobIdFor } from './job.ts';

/**
 * A job id for a node's own source in a cluster: `<name>.<node>`
 * (`notes.txt.a`), and `<name>-2.<node>` and so on when this node already
 * has one. The catalog is shared and has no compare-and-set, so two nodes
 * adding the same file name at the same moment must not pick the same id:
 * node names never hold a `.`, so the part after the last `.` keeps every
 * node's ids apart, whatever the others do meanwhile.
 *
 * @example
 * clusterJobIdFor('/home/x/notes.txt', 'a', new Set()); // 'notes.txt.a'
 */
export function clusterJobIdFor(sourcePath: string, node: string, taken: ReadonlySet<string>): string {
  const suffix = `.${node}`;
  const withoutNode = new Set([...taken].filter((id) => id.endsWith(suffix)).map((id) => id.slice(0, -suffix.length)));
  return `${jobIdFor(sourcePath, withoutNode)}${suffix}`;
}
