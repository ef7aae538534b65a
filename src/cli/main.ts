/** `sparrow` command line: dispatches to serve | index | eval | bench (commander). */
export async function main(argv: string[]): Promise<number> {
  const [command] = argv;
  console.error(`sparrow: command ${command ?? '(none)'} is not available yet`);
  return 1;
}
