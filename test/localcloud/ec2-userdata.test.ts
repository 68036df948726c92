// How localcloud reads user data: which scripts shut the machine down (Linux and Windows), and the
// `# localcloud:` directives that script failures.
import { describe, expect, it } from '@jest/globals';
import { planFromScript } from './userdata.js';

describe('user data', () => {
  it.each([
    ['#!/bin/bash\nyum -y update\nshutdown -h now', true],
    ['#!/bin/bash\nsystemctl poweroff', true],
    ['<powershell>\nInstall-WindowsFeature Web-Server\nStop-Computer -Force\n</powershell>', true],
    [
      '<powershell>\n& "$env:ProgramFiles/Amazon/EC2Launch/EC2Launch.exe" sysprep --shutdown\n</powershell>',
      true,
    ],
    [
      '<powershell>\nC:\\ProgramData\\Amazon\\EC2-Windows\\Launch\\Scripts\\SysprepInstance.ps1\n</powershell>',
      true,
    ],
    ['#!/bin/bash\nshutdown -r now', false],
    ['#!/bin/bash\n# shutdown -h now (commented out)\necho done', false],
    ['REM shutdown /s\r\necho done', false],
  ])('%j shuts down: %s', (script, shutdown) => {
    expect(planFromScript(script).shutdown).toBe(shutdown);
  });

  it('reads every directive', () => {
    const plan = planFromScript(
      [
        '#!/bin/bash',
        '# localcloud: console step 1 of 2',
        '# LOCALCLOUD: exit 4',
        '# localcloud: provision-ms 1500',
        '# localcloud: image-fail no space left',
        '# localcloud: hang',
        '# localcloud: terminate',
        'poweroff',
      ].join('\n'),
    );
    expect(plan).toEqual({
      shutdown: true,
      hang: true,
      terminate: true,
      exitCode: 4,
      consoleLines: ['step 1 of 2'],
      provisionMs: 1500,
      imageFailReason: 'no space left',
    });
  });

  it('refuses directives it does not know, naming the line', () => {
    expect(() => planFromScript('# localcloud: explode now')).toThrow(
      /unknown localcloud directive "explode"/,
    );
    expect(() => planFromScript('# localcloud: provision-ms soon')).toThrow(/provision-ms needs a number/);
  });
});
