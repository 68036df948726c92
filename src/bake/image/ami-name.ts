// ami-name-template and ami-description: placeholders filled at the bake's start, and the result held
// to AWS's AMI name and description rules before any call.
import { ConfigurationError } from '../../core/errors.js';

/**
 * CreateImage Name: "Constraints: 3-128 alphanumeric characters, parentheses (()), square brackets
 * ([]), spaces ( ), periods (.), slashes (/), dashes (-), single quotes ('), at-signs (@), or
 * underscores(_)" (https://docs.aws.amazon.com/AWSEC2/latest/APIReference/API_CreateImage.html).
 */
export const AMI_NAME_CHARS = /^[A-Za-z0-9()[\] ./\-'@_]*$/;
export const AMI_NAME_LENGTH = { min: 3, max: 128 };
/** CopyImage Description, which copies carry too: "Constraints: Up to 255 UTF-8 characters" (API_CopyImage.html). */
export const AMI_DESCRIPTION_MAX = 255;

export const PLACEHOLDERS = ['name', 'date', 'time', 'bake-id', 'sha', 'run'] as const;
type Placeholder = (typeof PLACEHOLDERS)[number];

/** What the placeholders stand for in one bake. */
export interface NameValues {
  name: string;
  /** The bake's start (clock ms): {date} yyyyMMdd and {time} HHmmss, UTC. */
  started: number;
  bakeId: string;
  commit?: string;
  runNumber?: string;
}

/** The default name: "<name>-<UTC yyyyMMddHHmmss>". */
export const DEFAULT_NAME_TEMPLATE = '{name}-{date}{time}';

const PLACEHOLDER = /\{([^{}]*)\}/g;

function valueOf(p: Placeholder, v: NameValues): string {
  const stamp = new Date(v.started).toISOString().replace(/[-:T]/g, '');
  switch (p) {
    case 'name':
      return v.name;
    case 'date':
      return stamp.slice(0, 8);
    case 'time':
      return stamp.slice(8, 14);
    case 'bake-id':
      return v.bakeId;
    case 'sha':
      return v.commit ? v.commit.slice(0, 12) : 'local';
    case 'run':
      return v.runNumber ?? 'local';
  }
}

/** The template with each placeholder replaced. */
export const fillTemplate = (template: string, v: NameValues): string =>
  template.replace(PLACEHOLDER, (_, p: string) => valueOf(p as Placeholder, v));

/** Unknown placeholders and stray braces in a template; [] when it is well formed. */
export function templateProblems(input: string, template: string): string[] {
  const unknown = [...template.matchAll(PLACEHOLDER)]
    .map((m) => m[1]!)
    .filter((p) => !(PLACEHOLDERS as readonly string[]).includes(p));
  const accepted = PLACEHOLDERS.map((p) => `{${p}}`).join(', ');
  if (unknown.length)
    return [
      `${input}: unknown placeholder ${unknown.map((p) => `{${p}}`).join(', ')}; accepted: ${accepted}`,
    ];
  if (/[{}]/.test(template.replace(PLACEHOLDER, '')))
    return [`${input}: a brace without its pair; placeholders are written {name} (accepted: ${accepted})`];
  return [];
}

/** The name template's own text (placeholders aside) must already be of AMI name characters. */
export function nameTemplateProblems(template: string): string[] {
  const problems = templateProblems('ami-name-template', template);
  if (!problems.length && !AMI_NAME_CHARS.test(template.replace(PLACEHOLDER, '')))
    problems.push(
      `ami-name-template: "${template}" has characters AMI names cannot hold; accepted: letters, digits, spaces and ( ) [ ] . / - ' @ _ besides the placeholders`,
    );
  return problems;
}

/** The image's name and description for this bake; a ConfigurationError when AWS would refuse either. */
export function imageNaming(
  o: { amiNameTemplate?: string; amiDescription?: string },
  v: NameValues,
): { name: string; description?: string } {
  const name = fillTemplate(o.amiNameTemplate ?? DEFAULT_NAME_TEMPLATE, v);
  const description = o.amiDescription === undefined ? undefined : fillTemplate(o.amiDescription, v);
  const problems: string[] = [];
  const { min, max } = AMI_NAME_LENGTH;
  if (name.length < min || name.length > max || !AMI_NAME_CHARS.test(name))
    problems.push(
      `ami-name-template: gives "${name}" (${name.length} characters); AMI names are ${min} to ${max} letters, digits, spaces and ( ) [ ] . / - ' @ _`,
    );
  if (description !== undefined && description.length > AMI_DESCRIPTION_MAX)
    problems.push(
      `ami-description: gives ${description.length} characters; AMI descriptions are at most ${AMI_DESCRIPTION_MAX}`,
    );
  if (problems.length) throw new ConfigurationError(problems);
  return { name, ...(description !== undefined ? { description } : {}) };
}
