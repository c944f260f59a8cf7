from owes_service.audit import entity_id_of


class TestEntityIdOf:
    def test_prefers_the_routes_id_parameter(self):
        assert entity_id_of({"participant_id": "p_1"}, b'{"application_id": "a_9"}', "application/json") == "p_1"

    def test_takes_the_id_a_create_returns(self):
        assert entity_id_of({}, b'{"participant_id": "p_2", "status": "recruited"}', "application/json") == "p_2"

    def test_accepts_integer_ids_but_not_booleans(self):
        assert entity_id_of({}, b'{"id": 12}', "application/json") == "12"
        assert entity_id_of({}, b'{"is_id": true}', "application/json") is None

    def test_names_nothing_for_other_bodies(self):
        assert entity_id_of({}, b"[1, 2]", "application/json") is None
        assert entity_id_of({}, b"not json", "application/json") is None
        assert entity_id_of({}, b'{"participant_id": "p_3"}', "text/plain") is None
        assert entity_id_of({}, b"", "application/json") is None
