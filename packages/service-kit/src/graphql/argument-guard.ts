/**
 * Every text argument is held to the API's text rule before a resolver sees it: no control characters
 * (PostgreSQL refuses U+0000 with an error that would surface as an internal one), well-formed Unicode,
 * and at most the documented length of its kind (`TEXT_LIMITS`), told by the argument's or input field's
 * name. A fault is BAD_USER_INPUT naming the argument path (`input.name`, `records.3.patient.id`).
 *
 * Arguments that check their items one by one, so that one bad item does not refuse the others (an
 * import batch), are named in `selfChecked` and left to their resolver; so is text a parser reads on its
 * own terms (a roster file's content).
 */
import { fieldFault } from '@care-graph/limits';
import { badUserInput } from './errors';

/** Where a value sits in the arguments: built as the walk descends, joined only when a fault is reported. */
interface Path {
  readonly key: string | number;
  readonly parent?: Path;
}

function joined(path: Path): string[] {
  const parts: string[] = [];
  for (let at: Path | undefined = path; at; at = at.parent) parts.unshift(String(at.key));
  return parts;
}

/**
 * Throws BAD_USER_INPUT for the first text in `value` (at `path`, named `name`) that breaks the text rule.
 * `shape` is the path without list indices (what `skip` holds), computed only when there is anything to skip:
 * a page of a few thousand inputs is walked once a request, so the walk allocates nothing per value.
 */
function checkValue(value: unknown, path: Path, name: string, shape: string, skip: ReadonlySet<string>): void {
  if (typeof value === 'string') {
    const fault = fieldFault(name, value);
    if (fault) {
      const parts = joined(path);
      const field = parts.join('.');
      throw badUserInput(`${field} ${fault}; correct it and send the request again.`, { argument: parts[0], field });
    }
    return;
  }
  if (value === null || typeof value !== 'object' || value instanceof Date) return;
  if (Array.isArray(value)) {
    for (let i = 0; i < value.length; i += 1) checkValue(value[i], { key: i, parent: path }, name, shape, skip);
    return;
  }
  for (const key in value) {
    if (!Object.hasOwn(value, key)) continue;
    const keyShape = skip.size === 0 ? '' : `${shape}.${key}`;
    if (skip.size === 0 || !skip.has(keyShape))
      checkValue((value as Record<string, unknown>)[key], { key, parent: path }, key, keyShape, skip);
  }
}

/**
 * The check of field `typeName.fieldName`'s arguments. `selfChecked` holds `Type.field.argument[.inputField…]`
 * paths (list indices left out) that are the resolver's to check.
 */
export function argumentGuard(typeName: string, fieldName: string, selfChecked: Iterable<string>): (args: Record<string, unknown>) => void {
  const prefix = `${typeName}.${fieldName}.`;
  const skip = new Set([...selfChecked].filter((path) => path.startsWith(prefix)).map((path) => path.slice(prefix.length)));
  return (args) => {
    for (const [name, value] of Object.entries(args)) if (!skip.has(name)) checkValue(value, { key: name }, name, name, skip);
  };
}

/** The same rule for the named parameters of a plain HTTP route (e.g. a query string): BAD_USER_INPUT naming the first bad one. */
export function checkTextParameters(parameters: Record<string, unknown>): void {
  for (const [name, value] of Object.entries(parameters)) checkValue(value, { key: name }, name, name, NO_SKIP);
}

const NO_SKIP: ReadonlySet<string> = new Set();
