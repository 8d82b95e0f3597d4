import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { parse, TYPE, type MessageFormatElement } from '@formatjs/icu-messageformat-parser';
import { AREA_FILES } from '../../infra/i18n/catalogues';
import { CATALOGUES, format, LOCALES, negotiateLocale, parseLocale, translate, message } from '../../infra/i18n/i18n';

/** Every placeholder name (with its kind), tag and select/plural option of a message. */
function shape(source: string, ignoreTag: boolean): Set<string> {
  const found = new Set<string>();
  const walk = (elements: MessageFormatElement[]) => {
    for (const element of elements) {
      if (element.type === TYPE.argument || element.type === TYPE.number || element.type === TYPE.date || element.type === TYPE.time) {
        found.add(`{${element.value}}`);
      } else if (element.type === TYPE.select) {
        found.add(`{${element.value}}`);
        for (const [option, { value }] of Object.entries(element.options)) {
          found.add(`{${element.value}} select ${option}`);
          walk(value);
        }
      } else if (element.type === TYPE.plural) {
        found.add(`{${element.value}}`);
        // Plural categories differ by language (Chinese has only "other"); exact =N matches must agree.
        for (const [option, { value }] of Object.entries(element.options)) {
          if (option.startsWith('=')) found.add(`{${element.value}} plural ${option}`);
          walk(value);
        }
      } else if (element.type === TYPE.tag) {
        found.add(`<${element.value}>`);
        walk(element.children);
      }
    }
  };
  walk(parse(source, { ignoreTag }));
  return found;
}

/** Tags as the page sees them; a message that does not parse with tags (it holds a literal `<…>`) has none. */
function tagShape(source: string): Set<string> | 'no tags' {
  try {
    return shape(source, false);
  } catch {
    return 'no tags';
  }
}

describe('message catalogues', () => {
  const en = CATALOGUES.en;
  const zh = CATALOGUES['zh-CN'];

  it('have the same keys in English and Chinese', () => {
    assert.deepEqual(Object.keys(zh).filter((key) => !(key in en)), [], 'keys only in zh-CN');
    assert.deepEqual(Object.keys(en).filter((key) => !(key in zh)), [], 'keys only in en');
  });

  it('keep each key in the file of its area, in both locales', () => {
    for (const [area, files] of Object.entries(AREA_FILES)) {
      for (const locale of LOCALES) {
        const stray = Object.keys(files[locale]).filter((key) => !key.startsWith(`${area}.`));
        assert.deepEqual(stray, [], `${locale}/${area}.json holds keys of another area`);
      }
      assert.deepEqual(Object.keys(files['zh-CN']).sort(), Object.keys(files.en).sort(), `${area}: en and zh-CN differ`);
    }
  });

  it('parse as ICU messages with the same placeholders, options and tags in both', () => {
    for (const key of Object.keys(en)) {
      const english = en[key]!;
      const chinese = zh[key]!;
      assert.deepEqual([...shape(chinese, true)].sort(), [...shape(english, true)].sort(), `placeholders of "${key}"`);
      const tagsEn = tagShape(english);
      const tagsZh = tagShape(chinese);
      assert.deepEqual(tagsZh === 'no tags' ? tagsZh : [...tagsZh].sort(), tagsEn === 'no tags' ? tagsEn : [...tagsEn].sort(), `tags of "${key}"`);
      assert.notEqual(chinese.trim(), '', `"${key}" is empty in zh-CN`);
    }
  });

  it('use the seed’s own Chinese names for statuses', () => {
    const task = (status: string) => format('zh-CN', 'common.task.status', { status });
    assert.deepEqual(
      ['new', 'in_progress', 'download_failed', 'downloaded', 'analysis_failed', 'analysed'].map(task),
      ['新增', '进行中', '下载失败', '下载成功', '分析失败', '分析成功'],
    );
    assert.deepEqual(['on', 'off'].map((status) => format('zh-CN', 'common.job.status', { status })), ['启用', '下线']);
    assert.deepEqual(['succeeded', 'failed'].map((status) => format('zh-CN', 'common.run.status', { status })), ['成功', '失败']);
    assert.equal(format('zh-CN', 'common.generator.status', { status: 'test_failed' }), '测试失败');
  });

  it('format plurals per language, and values as text', () => {
    assert.equal(format('en', 'common.count.lines', { count: 1 }), '1 line');
    assert.equal(format('en', 'common.count.lines', { count: 1200 }), '1,200 lines');
    assert.equal(format('zh-CN', 'common.count.lines', { count: 1 }), '1 行');
    assert.equal(format('en', 'errors.not_found', { method: 'GET', path: '/<script>{x}' }), 'no route GET /<script>{x}');
    assert.equal(translate('zh-CN', message('common.job.status', { status: 'on' })), '启用');
    assert.equal(translate('zh-CN', 'already words'), 'already words');
  });
});

describe('locale negotiation', () => {
  it('takes the first language of Accept-Language that crawlflow speaks', () => {
    assert.equal(negotiateLocale(undefined), 'en');
    assert.equal(negotiateLocale(''), 'en');
    assert.equal(negotiateLocale('zh-CN,zh;q=0.9,en;q=0.8'), 'zh-CN');
    assert.equal(negotiateLocale('en-US,en;q=0.9,zh-CN;q=0.8'), 'en');
    assert.equal(negotiateLocale('fr-FR, zh-TW;q=0.5, en;q=0.4'), 'zh-CN');
    assert.equal(negotiateLocale('en;q=0.2, zh;q=0.9'), 'zh-CN');
    assert.equal(negotiateLocale('de, fr'), 'en');
    assert.equal(negotiateLocale('*'), 'en');
  });

  it('reads a locale a user names', () => {
    assert.equal(parseLocale('zh'), 'zh-CN');
    assert.equal(parseLocale('ZH_cn'), 'zh-CN');
    assert.equal(parseLocale('en-GB'), 'en');
    assert.equal(parseLocale('fr'), undefined);
    assert.equal(parseLocale(''), undefined);
  });
});
