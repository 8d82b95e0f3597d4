/**
 * Deterministic mixed Chinese/English keywords and texts for the tagging benchmark: the same
 * seed gives the same corpus on every machine, so runs compare.
 */
import { seededRandom } from '../domain/tagging/text/seeded-random';

/** About 500 of the most frequent Chinese characters. */
const HANZI =
  '的一是不了人我在有他这为之大来以个中上们到说国和地也子时道出而要于就下得可你年生自会那后能对着事其里所去行过家十用发天如然作方成者多日都三小军二无同么经法当起与好看学进种将还分此心前面又定见只主没公从已知全工两长把新高正现非体合斯立部化别加间门明问理战表度手很意物量基动相关重外实点民制者被政情电世做数应义条平机果件由民性开合利期比发水线头山身论等位最直回接产给它打然新联党特区提展代车式利向通教命知原清间声近干合五务品少式图安月总象运林技交价科农角议场求报领思才花写群越规收取每该华区往眼员今济必便即照往变满住委再格社听转研反带达拉阿克叫力率书府术备识象队保管类王较史热切建约存白容受段流况持满速边神认张资单造今路治广务江受示东志论段精标处团至边西空证白始品称积';

/** Common English words; keywords are one to three of them. */
const ENGLISH =
  'market stock fund bank rate price growth trade policy report company profit revenue energy health doctor hospital vaccine virus data cloud chip software robot network mobile phone digital security privacy school student teacher city travel hotel flight game team player match league season coach music movie film series news media social video online store retail brand supply chain factory car battery solar power oil gas water climate weather rain storm farm food coffee tea restaurant bread apple orange train metro bus road bridge tower house rent loan credit card payment tax budget election vote court law police crime science space rocket moon planet ocean river forest mountain museum art history language culture festival holiday family child parent friend job career salary office meeting project launch update release version model engine search service platform app user customer order delivery package export import border tariff bond yield currency dollar euro yuan inflation interest deposit insurance pension fraud scam spam offer discount coupon gift prize lottery weekend morning evening quick smart global local national public private open free first final major minor';

export interface Corpus {
  keywords: string[];
  /** Long pages (the fetched `content` of link messages). */
  pages: string[];
  /** Short messages (the seed's `text`). */
  messages: string[];
}

export interface CorpusOptions {
  keywordCount: number;
  pageCount: number;
  pageChars: number;
  messageCount: number;
  messageChars: number;
  seed: number;
}

export function generateCorpus(options: CorpusOptions): Corpus {
  const random = seededRandom(options.seed);
  const int = (n: number) => Math.floor(random() * n);
  const english = ENGLISH.split(' ');
  const hanzi = () => HANZI[int(HANZI.length)]!;

  // Keyed by lower case: keywords are distinct as the case-insensitive matcher sees them.
  const keywords = new Map<string, string>();
  while (keywords.size < options.keywordCount) {
    let keyword: string;
    if (random() < 0.6) {
      keyword = '';
      for (let n = 2 + int(3); n > 0; n--) keyword += hanzi();
    } else {
      const words = Array.from({ length: 1 + int(3) }, () => english[int(english.length)]!);
      // A quarter capitalised, as in real text ("Stock market"): matched case-insensitively.
      if (random() < 0.25) words[0] = words[0]![0]!.toUpperCase() + words[0]!.slice(1);
      keyword = words.join(' ');
    }
    if (!keywords.has(keyword.toLowerCase())) keywords.set(keyword.toLowerCase(), keyword);
  }
  const keywordList = [...keywords.values()];

  /** Chinese runs with punctuation, English sentences, and now and then a keyword. */
  const text = (length: number): string => {
    let out = '';
    while (out.length < length) {
      const roll = random();
      if (roll < 0.03) out += keywordList[int(keywordList.length)]!;
      else if (roll < 0.6) {
        for (let n = 4 + int(20); n > 0; n--) out += hanzi();
        out += '，。、；：！？'[int(6)]!;
      } else {
        const words = Array.from({ length: 3 + int(10) }, () => english[int(english.length)]!);
        out += ` ${words.join(' ')}. `;
      }
    }
    return out.slice(0, length);
  };
  return {
    keywords: keywordList,
    pages: Array.from({ length: options.pageCount }, () => text(options.pageChars)),
    messages: Array.from({ length: options.messageCount }, () => text(options.messageChars)),
  };
}
