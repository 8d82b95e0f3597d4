import enCommon from './en/common.json';
import enErrors from './en/errors.json';
import enGenerators from './en/generators.json';
import enFailures from './en/failures.json';
import enMail from './en/mail.json';
import enPage from './en/page.json';
import enReceipt from './en/receipt.json';
import zhCommon from './zh-CN/common.json';
import zhErrors from './zh-CN/errors.json';
import zhGenerators from './zh-CN/generators.json';
import zhFailures from './zh-CN/failures.json';
import zhMail from './zh-CN/mail.json';
import zhPage from './zh-CN/page.json';
import zhReceipt from './zh-CN/receipt.json';

/**
 * The message catalogues, one JSON file per area and locale (`<locale>/<area>.json`, keys
 * `<area>.…`). English is the reference: its keys are the {@link MessageKey} type; every other
 * locale must have the same keys with the same placeholders (test/i18n/catalogues.test.ts).
 * A new area: a file in each locale folder, imported here, spread into both objects.
 */
export const EN = { ...enCommon, ...enErrors, ...enFailures, ...enGenerators, ...enMail, ...enPage, ...enReceipt };
export type MessageKey = keyof typeof EN;

export const ZH_CN: Record<string, string> = { ...zhCommon, ...zhErrors, ...zhFailures, ...zhGenerators, ...zhMail, ...zhPage, ...zhReceipt };

/** Each area's files, for the test that every key of a file starts with its area. */
export const AREA_FILES: Record<string, { en: Record<string, string>; 'zh-CN': Record<string, string> }> = {
  common: { en: enCommon, 'zh-CN': zhCommon },
  errors: { en: enErrors, 'zh-CN': zhErrors },
  generators: { en: enGenerators, 'zh-CN': zhGenerators },
  failures: { en: enFailures, 'zh-CN': zhFailures },
  mail: { en: enMail, 'zh-CN': zhMail },
  page: { en: enPage, 'zh-CN': zhPage },
  receipt: { en: enReceipt, 'zh-CN': zhReceipt },
};
