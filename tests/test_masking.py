from breachscope.masking import mask_email, mask_name, mask_nir, mask_phone, mask_value, scrub


def test_masks_show_little():
    assert mask_nir("185037512345627") == "1 85 03 ** *** *** 27"
    assert mask_phone("+33612345678") == "+33 6 ** ** ** 78"
    assert mask_email("jean.dupont@orange.fr") == "j***@orange.fr"
    assert mask_name("DUPONT Marie") == "D***** M****"
    assert mask_value("IBAN", "FR7630006000011234567890189") == "FR76*******************0189"
    assert mask_value("BIRTH_DATE", "1954-03-12") == "1954-**-**"


def test_scrub_masks_identifiers_in_free_messages():
    msg = "bad cell '1 85 03 75 123 456 27' near jean.dupont@orange.fr tel 06 12 34 56 78"
    out = scrub(msg)
    assert "123 456" not in out
    assert "jean.dupont" not in out
    assert "34 56" not in out
    assert "@orange.fr" in out
    assert len(scrub("x" * 1000)) == 300
