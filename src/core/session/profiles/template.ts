/** Rendering of profile {@link Template}s against a context (`data`, `answer`, `now`). */
import type { Template } from './types.ts';

/** What a template's `$paths` read from. */
export type TemplateContext = Readonly<Record<string, unknown>>;

const MISSING = Symbol('missing');

function lookup(context: TemplateContext, path: string): unknown {
  let value: unknown = context;
  for (const key of path.split('.')) {
    // Own properties only: a path must never reach prototypes.
    if (typeof value !== 'object' || value === null || !Object.hasOwn(value, key)) return MISSING;
    value = (value as Record<string, unknown>)[key];
  }
  return value === undefined ? MISSING : value;
}

function render(template: Template, context: TemplateContext): unknown {
  if (typeof template === 'string') {
    if (template.startsWith('$$')) return template.slice(1);
    return template.startsWith('$') ? lookup(context, template.slice(1)) : template;
  }
  if (Array.isArray(template)) {
    return template.map((item: Template) => {
      const value = render(item, context);
      return value === MISSING ? null : value;
    });
  }
  if (typeof template === 'object' && template !== null) {
    const out: Record<string, unknown> = {};
    for (const [key, item] of Object.entries(template as Record<string, Template>)) {
      const value = render(item, context);
      if (value !== MISSING) out[key] = value;
    }
    return out;
  }
  return template;
}

/** Render `template`; a top-level path that is missing renders as `undefined`. */
export function renderTemplate(template: Template, context: TemplateContext): unknown {
  const value = render(template, context);
  return value === MISSING ? undefined : value;
}

/** Whether any string in `template` reads `path` (or something under it). */
export function readsPath(template: Template | undefined, path: string): boolean {
  if (typeof template === 'string') {
    return template === `$${path}` || template.startsWith(`$${path}.`);
  }
  if (Array.isArray(template)) return template.some((t: Template) => readsPath(t, path));
  if (typeof template === 'object' && template !== null) {
    return Object.values(template as Record<string, Template>).some((t) => readsPath(t, path));
  }
  return false;
}
