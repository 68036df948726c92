// Reads the provisioning files (user data, scripts, Packer template) up front, as input errors before any AWS call.
import { readFile } from 'node:fs/promises';
import { isAbsolute, resolve } from 'node:path';
import { ConfigurationError } from '../../core/errors.js';
import { MAX_USER_DATA_BYTES } from '../inputs.js';
import { loadPackerTemplate, type PackerTemplate } from '../packer/template.js';

export interface Script {
  /** As the user wrote it, for logs. */
  path: string;
  content: string;
}

export type Provisioning =
  | { kind: 'user-data'; userData: string }
  | { kind: 'scripts'; scripts: Script[] }
  | { kind: 'packer'; template: PackerTemplate; vars: Record<string, string> };

export interface ProvisioningOptions {
  engine: 'native' | 'packer';
  userData?: string;
  userDataFile?: string;
  provisionScripts: string[];
  packerTemplate?: string;
  packerVars: Record<string, string>;
  /** Relative paths resolve here (the workspace). */
  workingDirectory: string;
  /** The bake region, a variable a Packer template's paths may use. */
  region: string;
}

/**
 * Reads every file the bake needs up front, so a missing or oversized file is an input error
 * reported before any AWS call (and the fingerprint covers their content).
 */
export async function loadProvisioning(o: ProvisioningOptions): Promise<Provisioning> {
  const problems: string[] = [];
  const read = async (input: string, path: string): Promise<string> => {
    const full = isAbsolute(path) ? path : resolve(o.workingDirectory, path);
    try {
      return await readFile(full, 'utf8');
    } catch (err) {
      const code = (err as NodeJS.ErrnoException).code;
      problems.push(
        `${input}: cannot read ${JSON.stringify(path)} (${code === 'ENOENT' ? 'no such file' : code === 'EISDIR' ? 'a directory, not a file' : (code ?? String(err))})`,
      );
      return '';
    }
  };
  let result: Provisioning;
  if (o.engine === 'packer') {
    const loaded = await loadPackerTemplate(o.packerTemplate ?? '', {
      workingDirectory: o.workingDirectory,
      vars: o.packerVars,
      region: o.region,
    });
    if (loaded.problem) problems.push(loaded.problem);
    result = { kind: 'packer', template: loaded.template!, vars: o.packerVars };
  } else if (o.provisionScripts.length) {
    const scripts: Script[] = [];
    for (const path of o.provisionScripts) {
      const content = await read('provision-scripts', path);
      if (!problems.length && !content.trim())
        problems.push(`provision-scripts: ${JSON.stringify(path)} is empty`);
      scripts.push({ path, content });
    }
    result = { kind: 'scripts', scripts };
  } else {
    const userData =
      o.userDataFile !== undefined ? await read('user-data-file', o.userDataFile) : (o.userData ?? '');
    const bytes = Buffer.byteLength(userData);
    if (o.userDataFile !== undefined && bytes > MAX_USER_DATA_BYTES)
      problems.push(
        `user-data-file: ${JSON.stringify(o.userDataFile)} is ${bytes} bytes; EC2 accepts at most ${MAX_USER_DATA_BYTES}`,
      );
    if (!problems.length && !userData.trim())
      problems.push(`${o.userDataFile !== undefined ? 'user-data-file' : 'user-data'}: is empty`);
    result = { kind: 'user-data', userData };
  }
  if (problems.length) throw new ConfigurationError(problems);
  return result;
}
