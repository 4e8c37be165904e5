"""The case log header's sort arrows are readable: text contrast of at least 4.5:1.

Issue #23.8: the unsorted-column arrow (⇅) was drawn at 45 % opacity, 3.3:1 on the
header's background. The contrast is computed from what Chromium renders: the
arrow's colour with every opacity above it, over the composited backgrounds.
"""

from __future__ import annotations

import pytest
from playwright.sync_api import Page

from tests.browser.conftest import login
from tests.conftest import make_case

WCAG_TEXT = 4.5

CONTRASTS = """
(selector) => {
  const rgba = (css) => {
    const parts = css.match(/rgba?\\(([^)]*)\\)/)[1].split(/[\\s,\\/]+/).filter(Boolean);
    const [r, g, b, a] = parts.map(Number);
    return [r, g, b, parts.length > 3 ? a : 1];
  };
  const over = (top, bottom) => [0, 1, 2].map((i) => top[i] * top[3] + bottom[i] * (1 - top[3]));
  const luminance = (rgb) => {
    const [r, g, b] = rgb.map((v) => {
      v /= 255;
      return v <= 0.03928 ? v / 12.92 : ((v + 0.055) / 1.055) ** 2.4;
    });
    return 0.2126 * r + 0.7152 * g + 0.0722 * b;
  };
  return [...document.querySelectorAll(selector)].map((element) => {
    const chain = [];
    for (let e = element; e; e = e.parentElement) chain.push(e);
    let background = [255, 255, 255];
    let opacity = 1;
    for (const e of chain.reverse()) {
      const style = getComputedStyle(e);
      background = over(rgba(style.backgroundColor), background);
      opacity *= Number(style.opacity);
    }
    const color = rgba(getComputedStyle(element).color);
    const text = over([color[0], color[1], color[2], color[3] * opacity], background);
    const [light, dark] = [luminance(text), luminance(background)].sort((x, y) => y - x);
    return (light + 0.05) / (dark + 0.05);
  });
}
"""


@pytest.mark.parametrize("width", [1280, 390])
def test_the_sort_arrows_have_text_contrast(
    page: Page, live_server, transactional_db, account, seller, width
):
    make_case(account, owner=seller, short_description="Refund for order 402-1234567")
    page.set_viewport_size({"width": width, "height": 900})
    login(page, live_server, seller)
    page.goto(f"{live_server.url}/cases/")

    unsorted = page.evaluate(CONTRASTS, 'th[aria-sort="none"] .sort-indicator')
    sorted_ = page.evaluate(CONTRASTS, 'th:not([aria-sort="none"]) .sort-indicator')

    assert len(unsorted) >= 4
    assert len(sorted_) == 1
    assert min(unsorted + sorted_) >= WCAG_TEXT, [round(c, 2) for c in unsorted + sorted_]
