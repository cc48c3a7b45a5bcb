/**
 * Kubernetes' expansion of `$(VAR)` in container env values, commands and args: a reference to
 * a defined variable becomes its value, an unknown one stays as written, and `$$` becomes `$`
 * (the escape that keeps `$(VAR)` literal).
 */
export function expandVariables(
  value: string,
  env: Record<string, string>,
): string {
  return value.replace(/\$(?:\$|\(([^)]*)\))/g, (match, name?: string) => {
    if (name === undefined) return '$';
    return Object.prototype.hasOwnProperty.call(env, name) ? env[name] : match;
  });
}
