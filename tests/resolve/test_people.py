from breachscope.resolve.people import group_records


def rec(rid, last=None, first=None, birth=None, nir=None, phones=(), emails=(), full=None):
    return {"record_id": rid, "last_name": last, "first_name": first, "full_name": full,
            "birth_date": birth, "nir": nir, "phones": list(phones), "emails": list(emails),
            "postal_code": None, "city": None, "role_hint": "PATIENT"}


def sizes(groups):
    return sorted(len(v) for v in groups.values())


def test_nir_bridges_a_record_without_nir_through_name_and_birth():
    groups = group_records([
        rec("a", "DUPONT", "Marie", "1954-03-12", nir="254037512345678"),
        rec("b", "Dupont", "MARIE", "1954-03-12"),           # case differs
        rec("c", "DUPONT", "Marié", "1954-03-12"),           # accent differs
        rec("d", None, None, None, nir="254037512345678"),   # NIR only
    ])
    assert sizes(groups) == [4]


def test_same_name_different_birth_dates_are_two_people():
    groups = group_records([
        rec("a", "MARTIN", "Jean", "1950-01-01"),
        rec("b", "MARTIN", "Jean", "1980-01-01"),
    ])
    assert sizes(groups) == [1, 1]


def test_household_sharing_a_phone_stays_apart_but_same_name_and_phone_joins():
    groups = group_records([
        rec("a", "LEROY", "Marc", phones=["+33320000000"]),
        rec("b", "LEROY", "Anne", phones=["+33320000000"]),
        rec("c", "Leroy", "Marc", phones=["+33320000000"], emails=["m@x.fr"]),
        rec("d", "LEROY", "Marc", emails=["m@x.fr"]),
    ])
    assert sizes(groups) == [1, 3]


def test_hyphen_and_apostrophe_folding():
    groups = group_records([
        rec("a", "LE GALL", "Jean-Pierre", "1960-05-05"),
        rec("b", "Le-Gall", "Jean Pierre", "1960-05-05"),
    ])
    assert sizes(groups) == [2]
