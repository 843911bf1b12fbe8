/** Small string helpers the tiny assistant's corpora share: template slots, capitals, articles. */
import { check } from "../errors.ts";

/** `template` with each `{name}` replaced by `slots[name]`; a slot without a value is an error naming `what`. */
export function fill(template: string, slots: Record<string, string>, what = "template"): string {
  return template.replace(/\{(\w+)\}/g, (_, k: string) => {
    check(k in slots, `${what} ${JSON.stringify(template)}: no value for {${k}}`);
    return slots[k];
  });
}

/** The string with its first letter capitalised. */
export const cap = (s: string): string => s.charAt(0).toUpperCase() + s.slice(1);

/** The word with its indefinite article ("an apple", "a pear"). */
export const an = (w: string): string => (/^[aeiou]/i.test(w) ? `an ${w}` : `a ${w}`);

/** A training and a held-out pool of templates. */
export type Pools = { train: string[]; heldout: string[] };
