/**
 * Which interpreter runs a generator script. The seed stores only the code ("python code");
 * uploads may also say what they are (the file's extension). A shebang line wins over both,
 * so a Shell script saved without a language still runs as Shell.
 */
export const ScriptLanguage = {
  Python: 'python',
  Shell: 'shell',
} as const;
export type ScriptLanguage = (typeof ScriptLanguage)[keyof typeof ScriptLanguage];

/** The system interpreters: a shim under /root (pyenv) is invisible to the sandbox user. */
export const INTERPRETERS: Readonly<Record<ScriptLanguage, { path: string; args: readonly string[]; extension: string }>> = {
  // -I: isolated (ignores PYTHON* variables and the user's site-packages); -B: no .pyc files.
  [ScriptLanguage.Python]: { path: '/usr/bin/python3', args: ['-I', '-B'], extension: '.py' },
  [ScriptLanguage.Shell]: { path: '/bin/bash', args: ['--noprofile', '--norc'], extension: '.sh' },
};

/** A script crawlflow will not run, and why (the run log's failed reason). */
export class UnsupportedScriptError extends Error {
  override readonly name = 'UnsupportedScriptError';
}

const DECLARED: Readonly<Record<string, ScriptLanguage>> = {
  python: ScriptLanguage.Python,
  python3: ScriptLanguage.Python,
  py: ScriptLanguage.Python,
  shell: ScriptLanguage.Shell,
  sh: ScriptLanguage.Shell,
  bash: ScriptLanguage.Shell,
};

/**
 * Decides the language of `code`: its shebang (`#!/usr/bin/env python3`, `#!/bin/sh`…), else
 * the declared language (`python`, `py`, `shell`, `sh`, `bash`, case-insensitive), else Python
 * as in the seed's model.
 *
 * @throws {UnsupportedScriptError} for an empty or binary script, a shebang naming another
 *   interpreter, or an unknown declared language.
 */
export function detectScriptLanguage(code: string, declared?: string | null): ScriptLanguage {
  if (code.trim() === '') throw new UnsupportedScriptError('the script is empty');
  if (code.includes('\u0000')) throw new UnsupportedScriptError('the script is binary (it contains NUL bytes), not Python or Shell');
  const firstLine = code.replace(/^\uFEFF/, '').split('\n', 1)[0] ?? '';
  if (firstLine.startsWith('#!')) {
    const shebang = firstLine.slice(2).trim();
    // `/usr/bin/env -S python3 -u` → python3; `/bin/bash -e` → bash.
    const words = shebang.split(/\s+/).filter((word) => !word.startsWith('-'));
    const program = (words[0]?.endsWith('/env') ? words[1] : words[0])?.split('/').pop() ?? '';
    if (/^python(\d+(\.\d+)?)?$/.test(program)) return ScriptLanguage.Python;
    if (/^(ba|da|k)?sh$/.test(program)) return ScriptLanguage.Shell;
    throw new UnsupportedScriptError(`the script is neither Python nor Shell: its first line is "#!${shebang.slice(0, 100)}"`);
  }
  if (declared !== undefined && declared !== null && declared.trim() !== '') {
    const language = DECLARED[declared.trim().toLowerCase().replace(/^\./, '')];
    if (!language) throw new UnsupportedScriptError(`unknown script language "${declared.slice(0, 40)}": use python or shell`);
    return language;
  }
  return ScriptLanguage.Python;
}
