/**
 * The part of the DOM that the extraction rules use. linkedom's documents provide it; the
 * project compiles without the DOM library (it is Node code), so these types say exactly
 * what is relied on.
 */
export interface DomNode {
  readonly nodeType: number;
  readonly textContent: string | null;
  readonly parentNode: DomNode | null;
  readonly parentElement: DomElement | null;
  readonly childNodes: ArrayLike<DomNode>;
  contains(other: DomNode): boolean;
}

export interface DomElement extends DomNode {
  readonly tagName: string;
  readonly children: ArrayLike<DomElement>;
  readonly ownerDocument: DomDocument;
  innerHTML: string;
  getAttribute(name: string): string | null;
  setAttribute(name: string, value: string): void;
  querySelector(selectors: string): DomElement | null;
  querySelectorAll(selectors: string): ArrayLike<DomElement>;
  closest(selectors: string): DomElement | null;
  remove(): void;
}

export interface DomDocument {
  readonly body: DomElement | null;
  querySelector(selectors: string): DomElement | null;
  querySelectorAll(selectors: string): ArrayLike<DomElement>;
  createTreeWalker(root: DomNode, whatToShow: number): { currentNode: DomNode; nextNode(): DomNode | null };
}

export const TEXT_NODE = 3;
export const SHOW_TEXT = 4;
