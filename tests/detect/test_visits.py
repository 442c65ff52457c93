from breachscope.detect.text import scan_text
from breachscope.extract.units import TextUnit


def found(text: str, entity: str) -> list[str]:
    return [f.value for f in scan_text(TextUnit(text)) if f.entity == entity]


def test_visit_and_admission_dates_by_their_cue():
    text = ("Patiente hospitalisée du 12/03/2024 au 18/03/2024 en cardiologie.\n"
            "Vu le 02/04/2024 en consultation. Admis le 5 mai 2024 aux urgences.\n"
            "Document imprimé le 06/04/2024.")
    assert found(text, "VISIT_DATE") == ["2024-03-12", "2024-03-18", "2024-04-02",
                                          "2024-05-05"]


def test_a_birth_date_is_not_a_visit_date():
    text = "Mme DUPONT Marie, née le 12/03/1954, vue le 02/04/2024."
    assert found(text, "VISIT_DATE") == ["2024-04-02"]
    assert found(text, "BIRTH_DATE") == ["1954-03-12"]


def test_ages():
    assert found("Mme Dupont (75 ans) est âgée de 75 ans.", "AGE") == ["75", "75"]
    assert found("Traitement depuis 10 ans de suivi, 3 ans après la greffe.", "AGE") == []
