// The installed package's root folder (where package.json, prebuilds/ and build/ live), found
// from this file's location so it works from lib/ under vitest and from dist/ when installed.
import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

import { LoadError } from './errors.js';

export function packageRoot(): string {
  let dir = dirname(fileURLToPath(import.meta.url));
  while (!existsSync(join(dir, 'package.json'))) {
    const up = dirname(dir);
    if (up === dir) throw new LoadError('nnlab: cannot find the package root (no package.json above ' + dir + ')');
    dir = up;
  }
  return dir;
}
