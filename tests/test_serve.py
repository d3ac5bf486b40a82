"""--serve: a real server process, refusals by plain HTTP, and the live page in Chromium."""

import http.client
import io
import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import threading
import time
import urllib.request
from pathlib import Path

import pikepdf
import pypdfium2 as pdfium
import pytest

from booklet import serve

ROOT = Path(__file__).resolve().parent.parent
ESSAY = ROOT / "content" / "essay.md"
ARABIC = ROOT / "tests" / "languages" / "ar.md"
LIBRARY = ROOT / "tests" / "library"
CHROMEDRIVER = "/usr/bin/chromedriver"


def free_port():
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def wait_for(predicate, seconds=30, step=0.1):
    """predicate()'s first true value, or None when it never came."""
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(step)
    return None


class Server:
    """`python build.py … --serve --port P` as a real process; stopped by its fixture."""

    def __init__(self, folder, args, source=ESSAY, host="127.0.0.1"):
        self.folder = Path(folder)
        self.folder.mkdir(parents=True, exist_ok=True)
        if Path(source).is_dir():
            self.essay = self.folder / "handouts"
            shutil.copytree(source, self.essay)
        else:
            self.essay = self.folder / Path(source).name
            shutil.copy(source, self.essay)
        self.out = self.folder / "out"
        self.port = free_port()
        self.host = host
        output = self.out if Path(source).is_dir() else self.out / f"{self.essay.stem}.pdf"
        self.process = subprocess.Popen(
            [sys.executable, "build.py", str(self.essay), "-o", str(output), "--serve"]
            + ["--port", str(self.port), *args],
            cwd=ROOT,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
            # a background test run inherits SIGINT as ignored; the server must hear it
            preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_DFL),
        )
        self.stdout, self.stderr = [], []
        for stream, lines in (
            (self.process.stdout, self.stdout),
            (self.process.stderr, self.stderr),
        ):
            threading.Thread(target=self._read, args=(stream, lines), daemon=True).start()

    @staticmethod
    def _read(stream, lines):
        for line in stream:
            lines.append(line)

    @property
    def url(self):
        return f"http://{self.host}:{self.port}/"

    def state(self, query=""):
        with urllib.request.urlopen(self.url + "state.json" + query, timeout=10) as answer:
            return json.load(answer)

    def ready(self, seconds=60):
        """Wait for the first build to be shown."""

        def built():
            try:
                state = self.state()
            except OSError:
                return None
            done = state.get("outputs") or state.get("handouts")
            return state if done and not state["building"] else None

        state = wait_for(built, seconds, 0.2)
        assert state, f"no preview: {''.join(self.stdout)} {''.join(self.stderr)}"
        return state

    def stop(self, sig=signal.SIGTERM):
        if self.process.poll() is None:
            self.process.send_signal(sig)
            try:
                self.process.wait(30)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(10)
        time.sleep(0.1)  # the reader threads take the last lines
        return self.process.returncode


@pytest.fixture
def start(tmp_path):
    """start(*args, source=…) → a running Server; every one is stopped at the end, always."""
    servers = []

    def started(*args, source=ESSAY, host="127.0.0.1", ready=True):
        server = Server(tmp_path / f"s{len(servers)}", list(args), source, host)
        servers.append(server)
        if ready:
            server.ready()
        return server

    yield started
    for server in servers:
        if server.process.poll() is None:
            server.process.kill()
            server.process.wait(10)


def request(port, path, host=None, method="GET", address="127.0.0.1"):
    """(status, body) of one raw request: the path is sent exactly as given."""
    connection = http.client.HTTPConnection(address, port, timeout=10)
    try:
        connection.putrequest(method, path, skip_host=True, skip_accept_encoding=True)
        if host is not False:
            connection.putheader("Host", host or f"127.0.0.1:{port}")
        connection.endheaders()
        answer = connection.getresponse()
        return answer.status, answer.read()
    finally:
        connection.close()


def page_count(path):
    document = pdfium.PdfDocument(str(path))
    try:
        return len(document)
    finally:
        document.close()


# ---------------------------------------------------------------- without a server


def test_page_keys_change_only_for_pages_that_changed(tmp_path):
    """A line added near the end leaves the first pages' keys, so only the changed
    pages are rendered again."""
    from conftest import make_pdfs

    essay = tmp_path / "essay.md"
    essay.write_text(ESSAY.read_text())
    before = make_pdfs(tmp_path, source=essay)[0]["reading copy"]
    essay.write_text(ESSAY.read_text() + "\nOne more closing line for the last page.\n")
    after = make_pdfs(tmp_path, source=essay)[0]["reading copy"]

    def keys(data):
        with pikepdf.open(io.BytesIO(data)) as pdf:
            return [serve.page_key(page) for page in pdf.pages]

    old, new = keys(before), keys(after)
    assert keys(before) == old  # the same bytes, the same keys
    assert old[:3] == new[:3]  # cover, contents, first page of text: not rendered again
    assert old != new  # the page the line went on is


def test_pages_render_to_real_pngs_and_are_cached(tmp_path):
    from conftest import make_pdfs
    from PIL import Image

    data = make_pdfs(tmp_path)[0]["reading copy"]
    pages = serve.Pages()
    described = pages.describe(data)
    assert len(described) == page_count_bytes(data)
    first = pages.get(described[0][0])
    image = Image.open(io.BytesIO(first))
    assert image.format == "PNG"
    width, height = described[0][1] * serve.SCALE, described[0][2] * serve.SCALE
    assert abs(image.size[0] - width) <= 1 and abs(image.size[1] - height) <= 1
    assert image.convert("L").getextrema()[0] < 100  # the cover draws something dark
    images = dict(pages.images)
    pages.describe(data)
    assert all(pages.images[key] is images[key] for key in images)  # nothing re-rendered


def page_count_bytes(data):
    document = pdfium.PdfDocument(data)
    try:
        return len(document)
    finally:
        document.close()


def test_a_symlink_put_in_place_of_an_output_is_not_read(tmp_path):
    link = tmp_path / "essay.pdf"
    link.symlink_to("/etc/passwd")
    with pytest.raises(OSError):
        serve._read_output(link)


def test_port_and_host_need_serve():
    result = subprocess.run(
        [sys.executable, "build.py", "--port", "8123"], cwd=ROOT, capture_output=True, text=True
    )
    assert result.returncode == 2
    assert "--port goes with --serve" in result.stderr


def test_a_busy_port_is_one_line_and_exit_2(tmp_path):
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        result = subprocess.run(
            [sys.executable, "build.py", "--serve", "--port", str(port)],
            cwd=ROOT,
            capture_output=True,
            text=True,
            timeout=60,
        )
    assert result.returncode == 2
    assert result.stderr.splitlines() == [
        f"Error: port {port} is in use (another preview or program); choose another with --port N"
    ]
    assert result.stdout == ""


def test_booklet_serve_is_the_serve_option(tmp_path):
    """The installed command's `booklet serve` reaches the same server (here: a busy port)."""
    essay = tmp_path / "essay.md"
    essay.write_text(ESSAY.read_text())
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        result = subprocess.run(
            [sys.executable, "-c", "from booklet.cli import entry; entry()", "serve"]
            + ["--port", str(port), str(essay)],
            cwd=tmp_path,
            env={**os.environ, "PYTHONPATH": str(ROOT)},
            capture_output=True,
            text=True,
            timeout=60,
        )
    assert result.returncode == 2
    assert result.stderr.startswith(f"Error: port {port} is in use")


# ---------------------------------------------------------------- a real server, plain HTTP


@pytest.fixture(scope="module")
def running(tmp_path_factory):
    """One server for the refusal tests; stopped at the end of the module, always."""
    server = Server(tmp_path_factory.mktemp("serve"), [])
    try:
        server.ready()
        yield server
    finally:
        server.stop()
        if server.process.poll() is None:
            server.process.kill()


def test_the_page_state_and_images_are_served(running):
    status, body = request(running.port, "/")
    assert status == 200 and b'<script src="/assets/preview.js"' in body
    state = running.state()
    pages = state["outputs"][0]["pages"]
    assert len(pages) == page_count(running.out / "essay.pdf")
    status, image = request(running.port, f"/page/{pages[0]['key']}.png")
    assert status == 200 and image.startswith(b"\x89PNG")
    status, pdf = request(running.port, state["wrote"][0]["href"])
    assert status == 200 and pdf == (running.out / "essay.pdf").read_bytes()
    assert state["wrote"][0]["line"].startswith("Wrote ")
    assert state["reading"].startswith("Reading level: grade ")
    assert state["problems"] and all(p["line"] > 0 for p in state["problems"])


@pytest.mark.parametrize(
    "path",
    [
        "/../../etc/passwd",
        "/%2e%2e/%2e%2e/etc/passwd",
        "/%2E%2E/%2E%2E/etc/passwd",
        "/assets/../../../../etc/passwd",
        "/assets/%2e%2e%2f%2e%2e%2fetc%2fpasswd",
        "//etc/passwd",
        "/etc/passwd",
        "http://127.0.0.1/../../etc/passwd",
        "/pdf/0000000000000000/..%2f..%2f..%2fetc%2fpasswd",
        "/page/../../etc/passwd",
    ],
)
def test_paths_outside_the_routes_are_refused(running, path):
    status, body = request(running.port, path)
    assert status in (400, 404)
    assert b"root:" not in body


def test_a_symlink_beside_the_outputs_is_not_served(running):
    link = running.out / "passwd.pdf"
    link.symlink_to("/etc/passwd")
    token = running.state()["wrote"][0]["href"].split("/")[2]
    for path in ("/passwd.pdf", "/out/passwd.pdf", f"/pdf/{token}/passwd.pdf", "/pdf/passwd.pdf"):
        status, body = request(running.port, path)
        assert status == 404, path
        assert b"root:" not in body


@pytest.mark.parametrize("path", ["/page/", "/pdf/", "/assets/", "/out/"])
def test_no_directory_listing(running, path):
    assert request(running.port, path)[0] == 404


@pytest.mark.parametrize(
    "host",
    ["evil.example", "evil.example:{port}", "127.0.0.1:1", "localhost.evil.example:{port}", False],
)
def test_a_foreign_host_header_is_refused(running, host):
    if host:
        host = host.format(port=running.port)
    status, body = request(running.port, "/", host=host)
    assert status == 403
    assert b"<script" not in body


@pytest.mark.parametrize("host", ["127.0.0.1:{port}", "localhost:{port}", "LOCALHOST:{port}"])
def test_the_served_address_is_answered(running, host):
    assert request(running.port, "/state.json", host=host.format(port=running.port))[0] == 200


def test_only_get(running):
    assert request(running.port, "/", method="POST")[0] == 405


def test_nothing_listens_on_another_address(running):
    listening = subprocess.run(["ss", "-ltnH"], capture_output=True, text=True, check=True)
    ours = [
        line.split()[3]
        for line in listening.stdout.splitlines()
        if line.split()[3].endswith(f":{running.port}")
    ]
    assert ours == [f"127.0.0.1:{running.port}"]
    for address, family in (("127.0.0.2", socket.AF_INET), ("::1", socket.AF_INET6)):
        with socket.socket(family) as other:
            other.settimeout(2)
            try:
                assert other.connect_ex((address, running.port)) != 0, address
            except OSError:
                pass  # no IPv6 here: nothing listens there either


def test_the_page_loads_nothing_from_elsewhere(running):
    connection = http.client.HTTPConnection("127.0.0.1", running.port, timeout=10)
    connection.request("GET", "/")
    answer = connection.getresponse()
    body = answer.read().decode()
    policy = answer.getheader("Content-Security-Policy")
    connection.close()
    assert "default-src 'none'" in policy and "http" not in policy
    assets = [
        (ROOT / "booklet" / "preview" / name).read_text() for name in ("preview.js", "preview.css")
    ]
    for text in [body, *assets]:
        assert "http://" not in text and "https://" not in text


def test_events_announce_a_rebuild(running):
    """The event stream says `build` when the essay is saved, and the new pages are there."""
    connection = http.client.HTTPConnection("127.0.0.1", running.port, timeout=60)
    connection.request("GET", "/events")
    answer = connection.getresponse()
    assert answer.getheader("Content-Type") == "text/event-stream"
    first = [answer.fp.readline() for _ in range(4)]
    epoch = int(first[2].split(b":")[1])
    before = running.state()["outputs"][0]["pages"]
    running.essay.write_text(running.essay.read_text() + "\n## Added later\n\nA new paragraph.\n")
    while True:
        line = answer.fp.readline()
        if line.startswith(b"data:") and int(line.split(b":")[1]) > epoch:
            state = running.state()
            if not state["building"]:
                break
    connection.close()
    after = state["outputs"][0]["pages"]
    assert after != before
    for page in after:
        assert request(running.port, f"/page/{page['key']}.png")[0] == 200


@pytest.mark.slow
def test_ctrl_c_stops_cleanly(start):
    """Even with a page open (its event stream waiting), Ctrl-C ends the process at once."""
    server = start()
    stream = http.client.HTTPConnection("127.0.0.1", server.port, timeout=30)
    stream.request("GET", "/events")
    assert stream.getresponse().status == 200
    started = time.monotonic()
    assert server.stop(signal.SIGINT) == 0
    assert time.monotonic() - started < 10
    stream.close()
    stdout, stderr = "".join(server.stdout), "".join(server.stderr)
    assert f"Serving the preview on http://127.0.0.1:{server.port}/" in stdout
    assert stdout.rstrip().endswith("Stopped serving.")
    assert "Traceback" not in stderr
    with socket.socket() as probe:
        assert probe.connect_ex(("127.0.0.1", server.port)) != 0  # the server is closed


@pytest.mark.slow
def test_another_loopback_host_answers_there_only(start):
    """--host 127.0.0.2: this machine still, so no warning; it listens there alone."""
    server = start("--host", "127.0.0.2", host="127.0.0.2")
    assert "Warning" not in "".join(server.stderr)
    status, _ = request(server.port, "/", host=f"127.0.0.2:{server.port}", address="127.0.0.2")
    assert status == 200
    with socket.socket() as probe:
        assert probe.connect_ex(("127.0.0.1", server.port)) != 0


@pytest.mark.slow
def test_every_address_warns_that_the_documents_are_on_the_network(start):
    """--host 0.0.0.0 warns; a typed address is answered, a name that is not ours is not."""
    server = start("--host", "0.0.0.0")
    stderr = "".join(server.stderr)
    assert stderr.startswith(
        "Warning: --host 0.0.0.0: the preview is on the network, not this machine alone"
    )
    assert "patients' documents" in stderr
    assert request(server.port, "/", host=f"127.0.0.1:{server.port}")[0] == 200
    assert request(server.port, "/", host=f"evil.example:{server.port}")[0] == 403


# ---------------------------------------------------------------- in Chromium


@pytest.fixture
def browser(tmp_path):
    """Headless Chromium through Selenium (Debian's chromium and chromium-driver)."""
    os.environ["SE_AVOID_STATS"] = "true"
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    assert Path(CHROMEDRIVER).exists(), "apt-get install chromium chromium-driver"
    options = webdriver.ChromeOptions()
    for argument in (
        "--headless=new",
        "--no-sandbox",
        "--disable-gpu",
        "--disable-background-networking",
        "--disable-component-update",
        "--disable-sync",
        "--no-first-run",
        "--window-size=1400,1000",
        f"--user-data-dir={tmp_path / 'chromium'}",
    ):
        options.add_argument(argument)
    driver = webdriver.Chrome(service=Service(CHROMEDRIVER), options=options)
    try:
        yield driver
    finally:
        driver.quit()


def images(driver, prefix="Page "):
    """(alt, src) of the page images shown, in document order."""
    return driver.execute_script(
        "return [...document.querySelectorAll('img')].filter(i => i.alt.startsWith(arguments[0]))"
        ".map(i => [i.alt, i.getAttribute('src')]);",
        prefix,
    )


def loaded(driver):
    return driver.execute_script(
        "return [...document.querySelectorAll('main img')].every(i => i.complete && i.naturalWidth > 0);"
    )


def banner(driver):
    return driver.execute_script("return document.getElementById('banner').textContent;")


@pytest.mark.slow
def test_the_page_follows_edits_errors_and_fixes(start, browser):
    server = start()
    count = page_count(server.out / "essay.pdf")
    browser.get(server.url)
    shown = wait_for(lambda: images(browser) if len(images(browser)) == count else None)
    assert [alt for alt, _ in shown] == [f"Page {n}" for n in range(1, count + 1)]
    assert wait_for(lambda: loaded(browser))
    browser.execute_script("window.marker = 1;")

    good = (
        server.essay.read_text()
        + "\n## One more heading\n\nA paragraph added while the page was open.\n"
        + "\n![A chart](missing-chart.png)\n"
    )
    line = good.count("\n")  # the image's line
    server.essay.write_text(good)
    edited = wait_for(lambda: (now := images(browser)) != shown and now)
    assert edited, "the edit never showed"
    assert edited[0] == shown[0]  # the cover is the same image, not rendered again
    assert any(new != old for new, old in zip(edited, shown, strict=False))
    assert len(edited) == page_count(server.out / "essay.pdf")
    assert wait_for(lambda: loaded(browser))
    assert browser.execute_script("return window.marker;") == 1  # no reload
    warnings = browser.execute_script(
        "return [...document.querySelectorAll('.warning')].map(w => w.textContent);"
    )
    assert warnings == [f"Warning: {server.essay}:{line}: image not found: missing-chart.png"]

    server.essay.write_text("---\ntitle: Broken\n\nThe front matter never ends.\n")
    error = wait_for(lambda: banner(browser))
    assert error.startswith(f"Error: {server.essay}")
    assert images(browser) == edited  # the last good pages stay
    assert browser.execute_script("return window.marker;") == 1

    server.essay.write_text(good)
    assert wait_for(lambda: not banner(browser))
    assert wait_for(lambda: images(browser) == edited)
    assert browser.execute_script("return window.marker;") == 1
    links = browser.execute_script(
        "return [...document.querySelectorAll('a[download]')].map(a => [a.textContent, a.href]);"
    )
    assert links and links[0][0].startswith("Wrote ") and "essay.pdf" in links[0][0]
    with urllib.request.urlopen(links[0][1], timeout=10) as answer:
        assert answer.read() == (server.out / "essay.pdf").read_bytes()


def boxes(driver, alts):
    return {
        alt: driver.execute_script(
            "const r = document.querySelector(`img[alt='${arguments[0]}']`).getBoundingClientRect();"
            "return [r.left, r.top];",
            alt,
        )
        for alt in alts
    }


@pytest.mark.slow
def test_spreads_and_the_print_sheets_switch(start, browser):
    server = start("-e", "reading", "-e", "print")
    browser.get(server.url)
    count = page_count(server.out / "essay.pdf")
    assert wait_for(lambda: len(images(browser)) == count)
    where = boxes(browser, ["Page 1", "Page 2", "Page 3"])
    assert where["Page 2"][1] == where["Page 3"][1] > where["Page 1"][1]  # 2|3 side by side
    assert where["Page 2"][0] < where["Page 3"][0]  # left to right
    text = browser.find_element("tag name", "body").text
    assert "Reading level: grade" in text
    assert "To print: double-sided" in text
    button = browser.find_element("xpath", "//button[contains(., 'print sheets')]")
    button.click()
    sides = page_count(server.out / "essay-print.pdf")
    sheets = wait_for(lambda: images(browser, "Sheet ") if images(browser, "Sheet ") else None)
    assert len(sheets) == sides
    assert images(browser) == []  # the reading pages gave way to the sheets
    pressed = browser.find_element("xpath", "//button[@aria-pressed='true']")
    assert "print sheets" in pressed.text  # the page was drawn again, with the sheets chosen


@pytest.mark.slow
def test_a_right_to_left_essay_opens_right_to_left(start, browser):
    server = start(source=ARABIC)
    browser.get(server.url)
    count = page_count(server.out / "ar.pdf")
    assert count >= 3
    assert wait_for(lambda: len(images(browser)) == count)
    assert [alt for alt, _ in images(browser)] == [f"Page {n}" for n in range(1, count + 1)]
    where = boxes(browser, ["Page 2", "Page 3"])
    assert where["Page 2"][1] == where["Page 3"][1]
    assert where["Page 2"][0] > where["Page 3"][0]  # page 2 on the right


@pytest.mark.slow
def test_a_library_shows_an_index_and_each_handout(start, browser):
    server = start(source=LIBRARY)
    browser.get(server.url)
    handouts = sorted(server.essay.rglob("*.md"))

    def firsts():
        found = images(browser, "First page of ")
        return found if len(found) == len(handouts) else None

    assert wait_for(firsts), browser.page_source[:2000]
    link = browser.find_element("xpath", "//a[contains(@href, 'posture.md')]")
    link.click()
    count = page_count(server.out / "posture.pdf")
    assert wait_for(lambda: len(images(browser)) == count)
    browser.execute_script("window.marker = 1;")
    essay = server.essay / "posture.md"
    before = images(browser)
    essay.write_text(
        essay.read_text() + "\n## Stand up often\n\nEvery half hour, stand and walk.\n"
    )
    assert wait_for(lambda: images(browser) != before)
    assert browser.execute_script("return window.marker;") == 1
    assert "Reading level: grade" in browser.find_element("tag name", "body").text
