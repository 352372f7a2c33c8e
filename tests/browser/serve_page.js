// Drives the page of dlfs serve in Debian's headless Chromium (playwright-core, no browser of its
// own): draws the strokes it is given with mouse events, reads what the page shows, saves the
// canvas and a screenshot, then uploads a PNG. Prints one JSON line; the C++ test judges it.
// Usage: node serve_page.js MODULES URL CHROMIUM STROKES.json UPLOAD.png OUTDIR
"use strict";
const [modules, url, chromiumPath, strokesFile, uploadPng, outDir] = process.argv.slice(2);
const { chromium } = require(modules + "/node_modules/playwright-core");
const fs = require("fs");

async function shown(page) {
  return page.evaluate(() => ({
    predicted: document.getElementById("predicted").textContent,
    percents: [...document.querySelectorAll("#bars .bar .p")].map(p => p.textContent),
    widths: [...document.querySelectorAll("#bars .bar .fill")].map(f => f.style.width),
    top: [...document.querySelectorAll("#bars .bar")].findIndex(b => b.classList.contains("top")),
    model: document.getElementById("model").textContent,
    seenInk: (() => {  // ink in the 28x28 "as the net sees it" canvas
      const c = document.getElementById("seen").getContext("2d").getImageData(0, 0, 28, 28).data;
      let s = 0;
      for (let i = 0; i < c.length; i += 4) s += c[i];
      return s;
    })(),
    acts: document.querySelectorAll("#acts canvas").length,
    status: document.getElementById("status").textContent,
  }));
}

(async () => {
  const browser = await chromium.launch({ executablePath: chromiumPath, headless: true, args: ["--no-sandbox"] });
  try {
    const page = await browser.newPage({ viewport: { width: 1100, height: 700 } });
    await page.goto(url);
    await page.waitForFunction(() => /parameters/.test(document.getElementById("model").textContent));
    const box = await page.locator("#pad").boundingBox();
    const strokes = JSON.parse(fs.readFileSync(strokesFile, "utf8"));  // [[[x, y], ...], ...] in 0..280
    for (const s of strokes) {
      await page.mouse.move(box.x + s[0][0], box.y + s[0][1]);
      await page.mouse.down();
      for (const [x, y] of s.slice(1)) await page.mouse.move(box.x + x, box.y + y, { steps: 2 });
      await page.mouse.up();
    }
    // The last stroke's answer: wait until the bars are filled and no request is pending.
    await page.waitForFunction(() => document.getElementById("predicted").textContent !== "");
    await page.waitForLoadState("networkidle");
    const drawn = await shown(page);
    const canvasPng = await page.evaluate(() => document.getElementById("pad").toDataURL("image/png"));
    fs.writeFileSync(outDir + "/drawn.png", Buffer.from(canvasPng.split(",")[1], "base64"));
    await page.screenshot({ path: outDir + "/page.png" });

    await page.click("#clear");
    const cleared = await shown(page);
    await page.setInputFiles("#upload", uploadPng);
    await page.waitForFunction(() => document.getElementById("predicted").textContent !== "");
    await page.waitForLoadState("networkidle");
    const uploaded = await shown(page);
    console.log(JSON.stringify({ drawn, cleared, uploaded }));
  } finally {
    await browser.close();
  }
})().catch(e => { console.error(String(e && e.stack || e)); process.exit(1); });
