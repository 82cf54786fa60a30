// The /statecharts page: every machine GET /api/statecharts lists, drawn with Mermaid.
import { api } from "./common.js";
import { drawStatechart } from "./statechart.js";

const list = document.getElementById("statecharts");
const template = document.getElementById("statechart-template");
const problem = document.getElementById("statecharts-error");

function explain(text) {
  problem.textContent = text;
  problem.hidden = false;
}

async function show() {
  let charts;
  try {
    ({ statecharts: charts } = await api("/api/statecharts"));
  } catch (error) {
    explain(`The statecharts could not be loaded: ${error.message}`);
    return;
  }
  for (const chart of charts) {
    const card = template.content.firstElementChild.cloneNode(true);
    card.dataset.machine = chart.name;
    card.querySelector(".statechart-title").textContent = chart.title;
    card.querySelector(".statechart-source").textContent = chart.mermaid;
    list.append(card);
    const figure = card.querySelector(".statechart-figure");
    try {
      await drawStatechart(figure, chart.mermaid, { title: `${chart.title} state machine` });
    } catch (error) {
      figure.replaceChildren();
      explain(`The diagram could not be drawn: ${error.message}. Its Mermaid source is below.`);
      card.querySelector("details").open = true;
    }
  }
}

show();
