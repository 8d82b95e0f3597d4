/**
 * A synthetic two-class corpus of short Chinese reviews for the classifier benchmark, shaped
 * like the public sentiment corpora the classifier is judged on (tens of thousands of
 * one-to-five-sentence reviews, two classes) — the project may ship no real corpus, and this
 * one is the same on every machine for a seed. What makes it hard rather than a keyword
 * lookup: both classes talk about the same aspects in the same background vocabulary (20,000
 * real words from jieba's dictionary, by frequency); polarity words are negated
 * (不满意, 一点也不干净) and contrasted (还行，但是…, where the last clause counts double), so
 * word order and bigrams matter; most reviews also mention something on the other side;
 * some words lean only slightly; and 4 % of the labels are flipped, as in hand-labelled data.
 */
import { dict } from '@node-rs/jieba/dict';
import { seededRandom } from '../domain/tagging/text/seeded-random';

export interface LabelledText {
  text: string;
  tags: string[];
}

const ASPECTS =
  '服务 价格 质量 物流 包装 味道 房间 环境 客服 快递 屏幕 电池 外观 做工 性价比 速度 位置 早餐 前台 设施 卫生 床 空调 隔音 菜品 分量 口感 服务员 老板 配送 骑手 商品 衣服 尺码 面料 颜色 鞋子 手机 系统 声音 续航 拍照 售后 安装 师傅 效果 味儿 材质 款式 做法 店面 停车 交通 网速 温度 装修 餐具 汤 米饭'.split(' ');
const POSITIVE =
  '满意 不错 好评 喜欢 干净 方便 推荐 实惠 划算 精致 好吃 热情 舒服 流畅 清晰 耐用 周到 新鲜 好用 漂亮 值得 完美 惊喜 贴心 合适 正品 给力 靠谱 专业 及时 整洁 宽敞 安静 美味 地道 细心 快捷 好看 稳定 省心'.split(' ');
const NEGATIVE =
  '失望 糟糕 差评 难吃 脏 退货 敷衍 坑 卡顿 破损 慢 后悔 垃圾 恶心 冷淡 异味 掉色 发霉 漏水 吵 潮湿 油腻 过期 假货 粗糙 拖延 态度差 不值 忽悠 麻烦 投诉 生气 无语 简陋 闷热 发热 死机 起球 变形 敷衍了事'.split(' ');
/** Words that lean one way only a little: 便宜 is praise and also 便宜没好货. */
const MILD_POSITIVE = '便宜 还行 一般般 可以 凑合 挺快 够用 正常'.split(' ');
const MILD_NEGATIVE = '贵 小 少 一般 普通 偏咸 有点 等了'.split(' ');
const DEGREES = '很 非常 特别 比较 太 超级 挺 真的 实在 相当'.split(' ');
const NEGATORS = '不 不太 没有 一点也不 并不 不是很'.split(' ');
const CONTRASTS = '但是 不过 可惜 就是 只是 然而'.split(' ');
const ENDINGS_POSITIVE = '下次还会再来 会回购的 推荐给朋友了 五星好评 物超所值 总体很满意 还会光顾'.split(' ');
const ENDINGS_NEGATIVE = '再也不会来了 不会回购 大家别买 一星都不想给 要求退款 浪费钱 后悔买了'.split(' ');
const PUNCTUATION = '，，，。！～ '.split('');

/** Real words from jieba's dictionary, most frequent first, with sampling weights (frequency^0.6, a flatter Zipf). */
function backgroundVocabulary(size: number): { words: string[]; cumulative: Float64Array } {
  const entries: Array<[string, number]> = [];
  for (const line of Buffer.from(dict).toString('utf8').split('\n')) {
    const [word, frequency] = line.split(' ');
    if (word && frequency && /^[\u4e00-\u9fff]{2,4}$/u.test(word)) entries.push([word, Number(frequency)]);
  }
  entries.sort((a, b) => b[1] - a[1] || (a[0] < b[0] ? -1 : 1));
  const kept = entries.slice(0, size);
  const cumulative = new Float64Array(kept.length);
  let total = 0;
  kept.forEach(([, frequency], i) => (cumulative[i] = total += Math.pow(frequency, 0.6)));
  return { words: kept.map(([word]) => word), cumulative };
}

export interface ReviewCorpusOptions {
  messages: number;
  seed: number;
  /** Share of labels flipped. @default 0.04 */
  labelNoise?: number;
}

/** Reviews labelled `positive` or `negative` (one tag each), about half of each. */
export function generateReviewCorpus(options: ReviewCorpusOptions): LabelledText[] {
  const random = seededRandom(options.seed);
  const pick = <T>(list: readonly T[]): T => list[Math.floor(random() * list.length)]!;
  const background = backgroundVocabulary(20_000);
  const total = background.cumulative[background.cumulative.length - 1]!;
  const backgroundWord = () => {
    const target = random() * total;
    let low = 0;
    let high = background.cumulative.length - 1;
    while (low < high) {
      const mid = (low + high) >> 1;
      if (background.cumulative[mid]! < target) low = mid + 1;
      else high = mid;
    }
    return background.words[low]!;
  };
  const filler = (words: number) => Array.from({ length: words }, backgroundWord).join('');

  /** One clause saying `polarity` (+1 praise, -1 complaint): often by negating a word of the other side (不满意). */
  const clause = (polarity: number): string => {
    const aspect = random() < 0.8 ? pick(ASPECTS) : '';
    const degree = random() < 0.5 ? pick(DEGREES) : '';
    const roll = random();
    const same = polarity > 0 ? POSITIVE : NEGATIVE;
    const other = polarity > 0 ? NEGATIVE : POSITIVE;
    if (roll < 0.55) return `${aspect}${degree}${pick(same)}`;
    if (roll < 0.8) return `${aspect}${pick(NEGATORS)}${pick(other)}`;
    return `${aspect}${pick(polarity > 0 ? MILD_POSITIVE : MILD_NEGATIVE)}`;
  };

  const texts: LabelledText[] = [];
  const noise = options.labelNoise ?? 0.04;
  while (texts.length < options.messages) {
    const positive = random() < 0.5;
    const sentiment = positive ? 1 : -1;
    const parts: string[] = [];
    const clauses = 1 + Math.floor(random() * 6);
    for (let c = 0; c < clauses; c++) {
      if (random() < 0.5) parts.push(filler(1 + Math.floor(random() * 6)));
      const last = c === clauses - 1;
      // Reviews mix in the other side ("房间不错，就是…"); the last clause, often after a contrast, carries the verdict.
      const roll = random();
      if (!last && roll < 0.3) parts.push(clause(-sentiment));
      else if (!last && roll < 0.4) parts.push(filler(2 + Math.floor(random() * 4)));
      else parts.push(`${last && clauses > 1 && random() < 0.4 ? pick(CONTRASTS) : ''}${clause(sentiment)}`);
    }
    if (random() < 0.25) parts.push(pick(positive ? ENDINGS_POSITIVE : ENDINGS_NEGATIVE));
    const label = random() < noise ? !positive : positive;
    const text = parts.map((part) => part + pick(PUNCTUATION)).join('').trim();
    texts.push({ text, tags: [label ? 'positive' : 'negative'] });
  }
  return texts;
}
