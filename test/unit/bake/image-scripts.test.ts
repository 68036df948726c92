// The shipped Windows scripts fail loudly: each downloaded installer is run only after its
// Authenticode signature is valid and names the vendor; each installer's exit code is read; its
// 3010 ("reboot required") is an exit 3010 over Run Command, a failure in user data.
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { failureOf } from '../../../src/bake/native/run-command.js';
import { repoRoot } from '../../harness/action-metadata.js';

const dir = join(repoRoot, 'image/windows');
const scripts = ['user-data.ps1', ...readdirSync(join(dir, 'provision')).map((f) => `provision/${f}`)].map(
  (path) => ({ path, text: readFileSync(join(dir, path), 'utf8') }),
);

const VENDOR: Record<string, RegExp> = {
  'dotnet-hosting': /Microsoft Corporation/,
  OctopusTentacle: /Octopus Deploy/,
};

describe('image/windows scripts', () => {
  it.each(scripts.map((s) => [s.path, s.text]))(
    '%s: every download is signature-checked before it runs',
    (_p, text) => {
      for (const m of text.matchAll(/Invoke-WebRequest .* -OutFile \$(\w+)/g)) {
        const file = m[1]!;
        const rest = text.slice(m.index);
        const check = rest.search(new RegExp(`Get-AuthenticodeSignature -FilePath \\$${file}\\b`));
        const run = rest.search(new RegExp(`Start-Process .*\\$${file}\\b`));
        expect({ file, checked: check >= 0, beforeRun: check < run }).toEqual({
          file,
          checked: true,
          beforeRun: true,
        });
        const verdict = rest.slice(check, run);
        expect(verdict).toMatch(/\$sig\.Status -ne 'Valid'/);
        const vendor = Object.entries(VENDOR).find(([name]) => m[0].includes(name));
        expect(verdict).toMatch(/SignerCertificate\.Subject -notmatch/);
        expect(verdict).toMatch(vendor![1]);
      }
    },
  );

  it.each(scripts.map((s) => [s.path, s.text]))(
    '%s: every installer exit code is read, 3010 included',
    (path, text) => {
      for (const m of text.matchAll(/^\$(\w+) = Start-Process .*$/gm)) {
        expect(m[0]).toMatch(/-Wait -PassThru$/);
        const after = text.slice(m.index! + m[0].length);
        expect(after).toMatch(new RegExp(`if \\(\\$${m[1]}\\.ExitCode -ne 0\\) \\{ throw`));
        expect(after).toMatch(
          path === 'user-data.ps1'
            ? new RegExp(`if \\(\\$${m[1]}\\.ExitCode -eq 3010\\) \\{ throw`)
            : new RegExp(`if \\(\\$${m[1]}\\.ExitCode -eq 3010\\) \\{[^}]*exit 3010`),
        );
      }
      // No installer started without its result.
      expect(text.match(/Start-Process/g)?.length ?? 0).toBe(text.match(/-Wait -PassThru/g)?.length ?? 0);
    },
  );
});

describe('Run Command failure message', () => {
  it('ends with the last lines of stderr', () => {
    const msg = failureOf({
      $metadata: {},
      Status: 'Failed',
      ResponseCode: 2,
      StandardErrorContent: 'warming up\nstep 1 ok\nError: disk full\n',
    });
    expect(msg).toBe('exit code 2): warming up | step 1 ok | Error: disk full');
  });

  it('says when Run Command cut stderr at 8,000 characters, so its end (the error) is missing', () => {
    const msg = failureOf({
      $metadata: {},
      Status: 'Failed',
      ResponseCode: 1,
      StandardErrorContent: `${'noise\n'.repeat(1400)}more`.slice(0, 8_000),
    });
    expect(msg).toMatch(
      /^exit code 1; Run Command returned only the first 8,000 characters of stderr, so its end \(where the error is\) is missing: .*; last lines returned\): /,
    );
  });

  it('falls back to stdout, with its 24,000-character limit, when stderr is empty', () => {
    expect(
      failureOf({
        $metadata: {},
        Status: 'Failed',
        ResponseCode: 1,
        StandardOutputContent: 'x\n'.repeat(12_000),
      }),
    ).toMatch(/first 24,000 characters of stdout/);
  });
});
