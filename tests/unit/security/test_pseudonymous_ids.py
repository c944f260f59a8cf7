import hashlib
import re

from helpers import make_pesel
from recruitment.domain import new_participant_id


class TestNewParticipantId:
    def test_is_a_prefixed_random_hex_token(self):
        assert re.fullmatch(r"p_[0-9a-f]{16}", new_participant_id())

    def test_never_repeats(self):
        assert len({new_participant_id() for _ in range(10_000)}) == 10_000

    def test_takes_no_input_so_it_cannot_encode_a_person(self):
        import inspect

        assert inspect.signature(new_participant_id).parameters == {}

    def test_shares_nothing_with_the_pesel_or_its_hashes(self):
        pesel = make_pesel()
        token = new_participant_id().removeprefix("p_")
        digests = [hashlib.new(name, pesel.encode()).hexdigest() for name in ("md5", "sha1", "sha256")]
        assert pesel not in token and pesel[:6] not in token  # no PESEL, no birth date
        assert all(token not in digest and digest[:16] != token for digest in digests)
