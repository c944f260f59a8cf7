"""Erasure during the retention period (5 years from 31 December of the final payment's year) restricts processing
and says when erasure becomes possible; `owes retention erase` erases those whose time has come."""

from __future__ import annotations

from helpers import participant_form, project_paid, running, settings_for
from owes_cli.retention import erase_due
from recruitment.main import create_app
from recruitment.settings import RecruitmentSettings


class TestRetention:
    async def test_restricted_until_the_period_ends_then_erased_by_the_command(
        self, database_url, kafka_bootstrap, namespace, tmp_path, monkeypatch
    ):
        url = database_url("recruitment")

        def app(project):
            return create_app(
                settings_for(
                    RecruitmentSettings,
                    database_url=url,
                    kafka_bootstrap=kafka_bootstrap,
                    namespace=namespace,
                    project_file=project,
                )
            )

        # the project is running: the final payment is not made, so every request restricts
        async with running(app(project_paid(tmp_path, None))) as rec:
            first = (await rec.post("/participants", json=participant_form())).json()["participant_id"]
            answer = await rec.post(f"/participants/{first}/erasure-request")
            assert answer.status_code == 202, answer.text
            assert (answer.json()["status"], answer.json()["erasure_possible_from"]) == ("restricted", None)
            assert "final payment" in answer.json()["detail"]
            assert (await rec.get(f"/participants/{first}")).json()["pesel"] is not None
            assert (await rec.post("/participants/p_0000000000000000/erasure-request")).status_code == 404
            # the GDPR erasure endpoint follows the same rule: no second path that erases during retention
            by_delete = await rec.delete(f"/participants/{first}/personal-data")
            assert (by_delete.status_code, by_delete.json()["status"]) == (202, "restricted"), by_delete.text
            assert (await rec.get(f"/participants/{first}")).json()["pesel"] is not None
            # restricted: no decision about the person any more, only the keeping
            decided = await rec.post(f"/participants/{first}/eligibility", json={"eligible": True})
            assert decided.status_code == 409 and "restricted" in decided.json()["detail"], decided.text
            left = await rec.post(f"/participants/{first}/withdrawal", json={"reason_code": "other"})
            assert left.status_code == 409 and "restricted" in left.json()["detail"], left.text

        # final payment in 2027: the data is kept until the end of 2032
        async with running(app(project_paid(tmp_path, "2027-03-31"))) as rec:
            second = (await rec.post("/participants", json=participant_form())).json()["participant_id"]
            answer = (await rec.post(f"/participants/{second}/erasure-request")).json()
            assert (answer["status"], answer["erasure_possible_from"]) == ("restricted", "2033-01-01")

        # final payment in 2019: the period ended on 31 December 2024; the command erases both waiting, and a new
        # request is carried out at once
        ended = project_paid(tmp_path, "2019-06-30")
        monkeypatch.setenv("RECRUITMENT_PROJECT_FILE", str(ended))
        monkeypatch.setenv("RECRUITMENT_TOPIC_NAMESPACE", namespace)
        assert sorted(await erase_due(url)) == sorted([first, second])
        assert await erase_due(url) == []
        async with running(app(ended)) as rec:
            for pid in (first, second):
                view = (await rec.get(f"/participants/{pid}")).json()
                assert (view["erased"], view["pesel"], view["first_name"]) == (True, None, None)
            third = (await rec.post("/participants", json=participant_form())).json()["participant_id"]
            now = await rec.post(f"/participants/{third}/erasure-request")
            assert (now.status_code, now.json()["status"]) == (200, "erased")
            assert (await rec.get(f"/participants/{third}")).json()["erased"] is True
