"""Temporary: screenshots for a look (not committed)."""
from datetime import timedelta

from django.test import Client
from django.utils import timezone

from correspondence.models import Attachment, Message
from tests.browser.conftest import login
from tests.conftest import make_case

OUT = "/tmp/engine_shots"


def test_shots(page, live_server, account, seller, support_agent):
    page.set_viewport_size({"width": 1280, "height": 800})
    for n in range(30):
        make_case(account, owner=seller, short_description=f"Order problem no. {n}")
    long = make_case(account, owner=seller, short_description="A long thread")
    for n in range(24):
        message = Message.objects.create(
            case=long, author=support_agent if n % 2 else seller,
            direction="support" if n % 2 else "seller",
            subject=f"Part {n}", body=f"Part {n} of the story.\n\nSecond paragraph.",
            sent_at=timezone.now() - timedelta(hours=30 - n),
        )
        for i in range(2):
            Attachment.objects.create(
                message=message, file=f"attachments/xx/long-{n}-{i}", original_name="photo.png",
                size=1000 + n, content_type="image/png",
            )
    login(page, live_server, seller)
    page.context.clear_cookies()
    login(page, live_server, support_agent)
    page.goto(f"{live_server.url}/admin/cases/case/{long.id}/change/")
    page.locator(".thread-more").scroll_into_view_if_needed()
    page.evaluate("() => 0")
    page.context.clear_cookies()
    login(page, live_server, seller)
    page.goto(f"{live_server.url}/cases/")
    page.screenshot(path=f"{OUT}/log.png")
    page.goto(f"{live_server.url}/cases/{long.id}/")
    page.screenshot(path=f"{OUT}/case.png", full_page=True)
    page.goto(f"{live_server.url}/cases/{long.id}/?messages=all")
    page.screenshot(path=f"{OUT}/case-all.png")
    page.context.clear_cookies()
    login(page, live_server, support_agent)
    page.goto(f"{live_server.url}/admin/cases/case/{long.id}/change/")
    page.locator(".thread-more").scroll_into_view_if_needed()
    page.screenshot(path=f"{OUT}/admin.png")
    open(f"{OUT}/admin.html", "w").write(page.content())
    chain = page.evaluate("""() => { let e = document.querySelector('.thread-more'); const out = [];
      while (e) { const cs = getComputedStyle(e); out.push(e.tagName + '.' + e.className + '#' + e.id + ' bg=' + cs.backgroundColor + ' color=' + cs.color); e = e.parentElement; } return out; }""")
    over = page.evaluate("""() => { const r = document.querySelector('.thread-more').getBoundingClientRect();
      const e = document.elementFromPoint(r.left + 5, r.top + r.height / 2); const cs = getComputedStyle(e);
      return [r.top, r.height, e.tagName, e.className, e.id, cs.backgroundColor, cs.position, e.outerHTML.slice(0, 300)].join(' | '); }""")
    chain.append(over)
    open(f"{OUT}/chain.txt", "w").write("\n".join(chain))
    page.goto(f"{live_server.url}/admin/cases/case/{long.id}/change/")
    page.screenshot(path=f"{OUT}/admin-top.png")
    from tests.browser.a11y_support import run_axe
    found = run_axe(page, "admin")
    open(f"{OUT}/axe.txt", "w").write("\n".join(str(f) for f in found))
    page.goto(f"{live_server.url}/admin/cases/case/{long.id}/change/")
    page.locator(".thread-more").scroll_into_view_if_needed()
    page.wait_for_timeout(500)
    page.screenshot(path=f"{OUT}/admin2.png")
    stack = page.evaluate("""() => { const r = document.querySelector('.thread-more').getBoundingClientRect();
      return document.elementsFromPoint(r.left + 5, r.top + r.height / 2).map(e => { const cs = getComputedStyle(e);
        return e.tagName + '.' + e.className + '#' + e.id + ' bg=' + cs.backgroundColor + ' bgimg=' + cs.backgroundImage.slice(0,80) + ' pos=' + cs.position; }); }""")
    open(f"{OUT}/stack.txt", "w").write("\n".join(stack))
