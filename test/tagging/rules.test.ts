import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { UntaggableMessageError } from '../../domain/tagging/api';
import { parseRules } from '../../domain/tagging/rules/load-rules';
import { RulesFileError } from '../../domain/tagging/rules/rules-error';
import { rulesYaml, tagNames, taggerFor } from './support';

describe('keyword rules', () => {
  const tag = taggerFor(
    rulesYaml(`
  - { name: finance, keywords: [股票, 基金, stock market, IPO] }
  - { name: tech, keywords: [人工智能, AI, C++, 5G] }
`),
  );

  it('matches Chinese and English keywords in one pass and reports what matched', () => {
    const outcome = tag({ text: '今天股票和基金都涨了。The stock market liked the IPO news.' });
    assert.deepEqual(tagNames(outcome), ['finance']);
    const finance = outcome.tags[0]!;
    assert.equal(finance.source, 'keyword');
    assert.equal(finance.rule, 'finance');
    assert.equal(finance.hits, 4);
    assert.deepEqual([...finance.matched!].sort(), ['IPO', 'stock market', '基金', '股票']);
  });

  it('folds case and full-width letters by default', () => {
    assert.deepEqual(tagNames(tag({ text: 'THE STOCK MARKET' })), ['finance']);
    assert.deepEqual(tagNames(tag({ text: 'ＩＰＯ来了' })), ['finance']);
  });

  it('matches whole words only in Latin scripts', () => {
    assert.deepEqual(tagNames(tag({ text: 'PAID and MAIL and SAID' })), [], 'AI inside words');
    assert.deepEqual(tagNames(tag({ text: 'AI芯片' })), ['tech'], 'a CJK neighbour is a boundary');
    assert.deepEqual(tagNames(tag({ text: '(AI), AI.' })), ['tech'], 'punctuation is a boundary');
    assert.deepEqual(tagNames(tag({ text: 'AI_model' })), [], 'underscore is a word character');
    assert.deepEqual(tagNames(tag({ text: 'AI2' })), [], 'a digit is a word character');
    assert.deepEqual(tagNames(tag({ text: 'I write C++.' })), ['tech'], 'a keyword ending in a symbol needs no boundary after it');
    assert.deepEqual(tagNames(tag({ text: 'C++x' })), ['tech'], '…even before a letter');
    assert.deepEqual(tagNames(tag({ text: 'ABC++' })), [], 'but its letter start still needs one');
    assert.deepEqual(tagNames(tag({ text: '15G' })), [], '5G inside a number');
    assert.deepEqual(tagNames(tag({ text: '中国5G网络' })), ['tech']);
    assert.deepEqual(tagNames(tag({ text: 'café AI' })), ['tech']);
    assert.deepEqual(tagNames(tag({ text: 'AIé' })), [], 'accented letters are word characters');
  });

  it('chinese keywords match inside running text (no spaces in Chinese)', () => {
    assert.deepEqual(tagNames(tag({ text: '发展人工智能产业' })), ['tech']);
  });

  it('counts overlapping and nested keywords, each for every rule that lists it', () => {
    const overlap = taggerFor(
      rulesYaml(`
  - { name: long, keywords: [中华人民共和国] }
  - { name: nested, keywords: [人民, 共和国, 中华], minHits: 3 }
  - { name: overlapping, keywords: [aba], wholeWord: false, minHits: 2 }
  - { name: shared-a, keywords: [银行] }
  - { name: shared-b, keywords: [银行, 央行] }
`),
    );
    const outcome = overlap({ text: '中华人民共和国 ababa 中国人民银行' });
    assert.deepEqual(tagNames(outcome), ['long', 'nested', 'overlapping', 'shared-a', 'shared-b']);
    assert.equal(outcome.tags.find((t) => t.name === 'nested')!.hits, 4, '中华, 人民, 共和国, 人民 again');
    assert.equal(outcome.tags.find((t) => t.name === 'overlapping')!.hits, 2, 'aba at 0 and at 2 overlap');
  });

  it('honours minHits and minDistinct thresholds', () => {
    const thresholds = taggerFor(
      rulesYaml(`
  - { name: hits, keywords: [涨停], minHits: 3 }
  - { name: distinct, keywords: [股票, 基金, 债券], minDistinct: 2 }
`),
    );
    assert.deepEqual(tagNames(thresholds({ text: '涨停 涨停' })), []);
    assert.deepEqual(tagNames(thresholds({ text: '涨停 涨停 涨停' })), ['hits']);
    assert.deepEqual(tagNames(thresholds({ text: '股票 股票 股票' })), []);
    assert.deepEqual(tagNames(thresholds({ text: '股票 基金' })), ['distinct']);
  });

  it('keeps case when a rule asks for it', () => {
    const sensitive = taggerFor(rulesYaml(`  - { name: apple, keywords: [Apple], caseSensitive: true }\n`));
    assert.deepEqual(tagNames(sensitive({ text: 'Apple launched' })), ['apple']);
    assert.deepEqual(tagNames(sensitive({ text: 'an apple a day' })), []);
  });

  it('scans only the fields a rule names', () => {
    const scoped = taggerFor(
      rulesYaml(`
  - { name: title-only, keywords: [股票], fields: [text] }
  - { name: anywhere, keywords: [股票] }
`),
    );
    assert.deepEqual(tagNames(scoped({ text: '新闻', content: '股票' })), ['anywhere']);
    assert.deepEqual(tagNames(scoped({ text: '股票' })), ['anywhere', 'title-only']);
  });
});

describe('regex rules', () => {
  it('match Chinese and English text with RE2 syntax', () => {
    const tag = taggerFor(
      rulesYaml(`
  - { name: phone, regex: '(?:^|[^0-9])1[3-9][0-9]{9}(?:[^0-9]|$)' }
  - { name: price, regex: '[0-9]+(?:\\.[0-9]+)?元' }
  - { name: order, regex: 'order #[0-9]+', ignoreCase: true, minHits: 2 }
`),
    );
    assert.deepEqual(tagNames(tag({ text: '联系电话：13812345678，价格99.5元' })), ['phone', 'price']);
    assert.deepEqual(tagNames(tag({ text: '号码 138123456789 太长' })), []);
    assert.deepEqual(tagNames(tag({ text: 'ORDER #1 and order #2' })), ['order']);
    assert.deepEqual(tagNames(tag({ text: 'order #1 only' })), []);
  });

  it('cannot backtrack catastrophically: nested quantifiers on a long non-match finish', () => {
    // V8's own engine needs about 2^n steps for /^(a|aa)+b/ or /(a+)+$/ on n a's and a "!":
    // at n = 50,000 it would never return and the test would time out. RE2 runs in linear time.
    const tag = taggerFor(rulesYaml(`  - { name: evil, regex: '(a+)+$' }\n  - { name: evil2, regex: '^(a|aa)+b' }\n`));
    assert.deepEqual(tagNames(tag({ text: `${'a'.repeat(50_000)}!` })), []);
    assert.deepEqual(tagNames(tag({ text: 'aaaa' })), ['evil']);
    assert.deepEqual(tagNames(tag({ text: 'aaab' })), ['evil2']);
  });

  it('rejects what RE2 cannot run in linear time, naming the rule', () => {
    assert.throws(
      () => parseRules(rulesYaml(`  - { name: backref, regex: '(a)\\1' }\n  - { name: lookahead, regex: 'foo(?=bar)' }\n`), { file: 'r.yaml', serviceType: 'wx' }),
      (error: unknown) => {
        assert.ok(error instanceof RulesFileError);
        assert.deepEqual(error.problems.map((p) => p.rule), ['backref', 'lookahead']);
        assert.match(error.message, /rule "lookahead" \(rules\[1\]\.regex\): not a valid RE2 regular expression: .*\(\?=/);
        return true;
      },
    );
  });
});

describe('field conditions and combinations', () => {
  const tag = taggerFor(
    rulesYaml(`
  - { name: link, field: [{ path: type, equals: 3 }, { path: url, exists: true }] }
  - { name: wechat, field: { path: url, hostIn: [mp.weixin.qq.com] } }
  - { name: idn, field: { path: url, hostIn: [例子.中国] } }
  - { name: vip, field: { path: author.level, gte: 5 } }
  - { name: channel, field: { path: channel, in: [news, finance] } }
  - { name: finance-words, emit: false, keywords: [股票, stock] }
  - { name: ad-words, emit: false, keywords: [优惠券, 扫码, coupon] }
  - { name: phone, emit: false, regex: '1[3-9][0-9]{9}' }
  - { name: finance-link, all: [link, finance-words], score: 0.8 }
  - { name: spam, any: [ad-words, phone, link], atLeast: 2, none: [wechat], score: 0.9 }
  - { name: links-only-finance, keywords: [基金], when: { path: type, equals: 3 } }
`),
  );

  it('applies equals, exists, hostIn, in and numeric comparisons with strict types', () => {
    assert.deepEqual(tagNames(tag({ type: 3, url: 'https://example.com/a', text: '' })), ['link']);
    assert.deepEqual(tagNames(tag({ type: '3', url: 'https://example.com/a' })), [], 'the string "3" is not 3');
    assert.deepEqual(tagNames(tag({ type: 3, url: '' })), [], 'an empty url is not present (the seed)');
    assert.deepEqual(tagNames(tag({ url: 'https://MP.weixin.qq.com./s/x' })), ['wechat']);
    assert.deepEqual(tagNames(tag({ url: 'https://weixin.qq.com.evil.example/s' })), []);
    assert.deepEqual(tagNames(tag({ url: 'https://www.例子.中国/a' })), ['idn'], 'internationalized names compare in punycode');
    assert.deepEqual(tagNames(tag({ author: { level: 7 } })), ['vip']);
    assert.deepEqual(tagNames(tag({ author: { level: '7' } })), []);
    assert.deepEqual(tagNames(tag({ channel: 'finance' })), ['channel']);
  });

  it('combines rules with all, any/atLeast and none; helpers add no tag themselves', () => {
    assert.deepEqual(tagNames(tag({ type: 3, url: 'https://example.com', text: '股票' })), ['finance-link', 'link']);
    assert.deepEqual(tagNames(tag({ text: '扫码领优惠券 13812345678' })), ['spam']);
    assert.deepEqual(tagNames(tag({ text: '扫码领优惠券' })), [], 'one signal is not enough');
    assert.deepEqual(
      tagNames(tag({ type: 3, url: 'https://mp.weixin.qq.com/s/1', text: '扫码 13812345678' })),
      ['link', 'wechat'],
      'none: an official article is not spam',
    );
    const spam = tag({ text: 'coupon 13912345678' }).tags[0]!;
    assert.deepEqual(spam, { name: 'spam', score: 0.9, source: 'combination', rule: 'spam' });
  });

  it('evaluates a rule only when its `when` conditions hold', () => {
    assert.deepEqual(tagNames(tag({ text: '基金' })), []);
    assert.deepEqual(tagNames(tag({ type: 3, text: '基金' })), ['links-only-finance']);
  });

  it('keeps one tag per name: the highest score wins', () => {
    const dup = taggerFor(rulesYaml(`  - { name: a, tag: money, keywords: [钱], score: 0.3 }\n  - { name: b, tag: money, keywords: [钱], score: 0.6 }\n`));
    assert.deepEqual(dup({ text: '钱' }).tags.map((t) => [t.name, t.rule, t.score]), [['money', 'b', 0.6]]);
  });
});

describe('bad input', () => {
  const tag = taggerFor(rulesYaml(`  - { name: finance, keywords: [股票] }\n  - { name: link, field: { path: type, equals: 3 } }\n`, 'scan: { fields: [text, content], maxChars: 10 }\n'));

  it('refuses a message that is not an object, naming its index', () => {
    for (const bad of [null, [1, 2], 'text', 42]) {
      assert.throws(() => tag(bad as never), (error: unknown) => error instanceof UntaggableMessageError && /not a JSON object/.test(error.message));
    }
  });

  it('tags a message with no text by its fields and says so', () => {
    const outcome = tag({ type: 3 });
    assert.deepEqual(tagNames(outcome), ['link']);
    assert.equal(outcome.scannedChars, 0);
    assert.match(outcome.warnings!.join(), /no text/);
  });

  it('skips a field of the wrong type with a warning and scans the rest', () => {
    const outcome = tag({ text: { nested: true }, content: '股票' });
    assert.deepEqual(tagNames(outcome), ['finance']);
    assert.match(outcome.warnings!.join(), /field "text" is object, not text/);
  });

  it('caps huge text, records the cap, and shares the budget between fields', () => {
    const outcome = tag({ text: '一二三四五六七八', content: '九十股票' });
    assert.equal(outcome.scannedChars, 10);
    assert.equal(outcome.truncated, true);
    assert.deepEqual(tagNames(outcome), [], '股票 lies past the cap');
    assert.deepEqual(tagNames(tag({ text: '一二三四五六七八股票' })), ['finance']);
  });

  it('never splits a surrogate pair at the cap', () => {
    const outcome = tag({ text: `${'a'.repeat(9)}😀` });
    assert.equal(outcome.scannedChars, 9);
  });

  it('repairs invalid text (lone surrogates, bytes that are not UTF-8) and still tags it', () => {
    const lone = tag({ text: '\ud800股票' });
    assert.deepEqual(tagNames(lone), ['finance']);
    assert.match(lone.warnings!.join(), /lone surrogates/);
    const bytes = tag({ text: Uint8Array.from([0xff, ...Buffer.from('股票')]) as never });
    assert.deepEqual(tagNames(bytes), ['finance']);
    assert.match(bytes.warnings!.join(), /not valid UTF-8/);
  });
});

describe('rules file validation', () => {
  const problemsOf = (text: string, file = 'rules.yaml'): string[] => {
    try {
      parseRules(text, { file, serviceType: 'wx' });
    } catch (error) {
      assert.ok(error instanceof RulesFileError);
      assert.equal(error.file, file);
      return error.message.split('\n').slice(1).map((line) => line.trim());
    }
    assert.fail('the rules were accepted');
  };

  it('reports every problem at once, each with its rule and place', () => {
    const problems = problemsOf(
      rulesYaml(
        `
  - { name: dup, keywords: [a] }
  - { name: dup, keywords: [b] }
  - { name: wrong-option, regex: 'x', minDistinct: 2 }
  - { name: nothing }
  - { name: loop-a, all: [loop-b] }
  - { name: loop-b, any: [loop-a], atLeast: 2 }
  - { name: outside, keywords: [d], fields: [title] }
  - { name: blank, keywords: ['  '] }
`,
        'serviceType: weibo\n',
      ),
    );
    const expected = [
      /^file \(serviceType\): the file is for service type "weibo" but SERVICE_TYPE is "wx"$/,
      /^rule "dup" \(rules\[1\]\): duplicate name \(first used by rules\[0\]\)$/,
      /^rule "wrong-option" \(rules\[2\]\.minDistinct\): option "minDistinct" applies to keywords rules only$/,
      /^rule "nothing" \(rules\[3\]\): says nothing to match/,
      /^rule "loop-b" \(rules\[5\]\.atLeast\): atLeast is 2 but "any" lists 1 rules$/,
      /^rule "outside" \(rules\[6\]\.fields\): field "title" is not one of scan.fields \(text, content\)$/,
      /^rule "blank" \(rules\[7\]\.keywords\[0\]\): keyword 1 is empty$/,
      /^rule "blank" \(rules\[7\]\): has no keywords$/,
      /^rule "loop-a" \(rules\[4\]\): is part of a cycle: loop-a → loop-b → loop-a$/,
    ];
    for (const pattern of expected) assert.ok(problems.some((line) => pattern.test(line)), `${pattern} in:\n${problems.join('\n')}`);
    assert.equal(problems.length, expected.length, problems.join('\n'));
  });

  it('refuses misspelt and misplaced keys (checked before the rest)', () => {
    assert.deepEqual(problemsOf(rulesYaml(`  - { name: typo, keywords: [c], minHit: 2 }\n`)), ['rule "typo" (rules[0]): Unrecognized key: "minHit"']);
    assert.deepEqual(problemsOf(rulesYaml(`  - { name: s, keywords: [c], score: 2 }\n`)), ['rule "s" (rules[0].score): must be at most 1']);
  });

  it('names the line of a YAML syntax error and the problem in JSON', () => {
    assert.match(problemsOf('format: 1\nrules:\n  - { name: a, keywords: [x, }\n')[0]!, /^file \(line 3\): not valid YAML/);
    assert.match(problemsOf('{"format": 1, "rules": [', 'rules.json')[0]!, /^file: not valid JSON/);
    assert.match(problemsOf('format: 2\nrules: []\n')[0]!, /^file \(format\): must be 1$/);
  });
});
