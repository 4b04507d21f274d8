"""A human's modification of an action: the payload keeps what the human did not change."""

from __future__ import annotations

from proctor.control import Action, LiteratureQuery, modify_action


def test_a_modified_online_query_keeps_its_source_and_drops_the_old_url() -> None:
    online = Action(node="check_novelty", task="novelty search",
                    payload=LiteratureQuery(query="grokking weight decay", source="arxiv",
                                            url="http://arxiv.example/api/query?search_query=grokking"))
    changed = modify_action(online, "  grokking   and   regularisation ")
    assert isinstance(changed.payload, LiteratureQuery)
    assert changed.payload.query == "grokking and regularisation" and changed.payload.source == "arxiv"
    assert changed.payload.url is None and changed.digest() != online.digest()
    local = modify_action(Action(node="check_novelty", payload=LiteratureQuery(query="a")), "b")
    assert local.payload.model_dump() == {"kind": "query", "query": "b"}  # a local query stays local
