"""Regenerate the refnx goldens of test/examples/refnx.test.ts (run by hand, never edited by hand).

Needs refnx and orsopy importable; refnx's pure-Python kernel is enough. Used for the
committed files: refnx source at commit 443967255600041f2a13c0700a210be89586740f
(github.com/refnx/refnx) and orsopy at de2fca00ecc4dc8f920ae6eb1839f232ccd2d9ba (github.com/reflectivity/orsopy), numpy 2.4.6, scipy 1.17.1:

    PYTHONPATH=/path/to/refnx-source:/path/to/orsopy-source python3 generate.py

Writes, beside this file:
  theoretical.refnx.json  the export of refnx's own TestReflect structure (air | SiO2(100, 2) | Si(0, 3)),
                          whose curve refnx checks against theoretical.txt / smeared_theoretical.txt
  sei.refnx.json          the export of a five-slab neutron SEI model with absorption, a solvent
                          fraction, varying parameters with bounds, scale, background and dq = 5 %
  sei.refnx.txt           Q, refnx's ReflectModel.model(Q) (dq 5 % constant smearing, scale, bkg)
                          the unsmeared abeles(Q, slabs)·scale + bkg, and refnx's pointwise smearing of
                          the same 5 % (x_err = 0.05 Q, quad_order 101), for that model
"""
import json
import math
import sys
import warnings
from pathlib import Path

import numpy as np

warnings.simplefilter("ignore")
from refnx.reflect import SLD, ReflectModel  # noqa: E402
from refnx.reflect.reflect_model import abeles  # noqa: E402

here = Path(__file__).parent
# a source checkout has no refnx.version; name the commit (see the docstring)
REFNX_COMMIT = "443967255600041f2a13c0700a210be89586740f"


def export(model, file):
    # --- the export snippet of the README ("Examples and templates"), verbatim ---
    import json, math
    def p(x): b = (getattr(x.bounds, "lb", None), getattr(x.bounds, "ub", None)); return {"value": x.value, "vary": bool(x.vary), "bounds": [v if v is not None and math.isfinite(v) else None for v in b]}
    slabs = [{"name": s.name, "thick": p(s.thick), "sld": p(s.sld.real), "isld": p(s.sld.imag), "rough": p(s.rough), "vfsolv": p(s.vfsolv)} for s in model.structure]
    json.dump({"format": "refnx-structure/1", "slabs": slabs, "scale": p(model.scale), "bkg": p(model.bkg), "dq": float(model.dq.value)}, open(file, "w"), indent=1)


# refnx's TestReflect structure (refnx/reflect/tests/test_reflect.py, setup_method)
air, sio2, si = SLD(0, name="air"), SLD(3.47, name="SiO2"), SLD(2.07, name="Si")
export(ReflectModel(air | sio2(100, 2) | si(0, 3), scale=1, bkg=0, dq=0), here / "theoretical.refnx.json")

# a neutron SEI model: Si | SiO2 | Cu | SEI (20 % solvent) | deuterated electrolyte
si = SLD(2.07, name="Si")
oxide = SLD(3.47, name="SiO2")(12, 3)
cu = SLD(complex(6.55, 0.02), name="Cu")(500, 4)
sei = SLD(complex(3.2, 0.01), name="SEI")(45, 7)
sei.vfsolv.value = 0.2
electrolyte = SLD(complex(5.8, 0.001), name="dEC")(0, 9)
cu.thick.setp(vary=True, bounds=(400, 600))
cu.rough.setp(vary=True, bounds=(1, 20))
sei.thick.setp(vary=True, bounds=(5, 150))
oxide.sld.real.setp(vary=True, bounds=(3, 4))
model = ReflectModel(si | oxide | cu | sei | electrolyte, scale=0.97, bkg=2e-6, dq=5)
model.scale.setp(vary=True, bounds=(0.8, 1.2))
export(model, here / "sei.refnx.json")

q = np.geomspace(0.005, 0.3, 121)
smeared = model.model(q)
plain = abeles(q, model.structure.slabs()[:, :4]) * model.scale.value + model.bkg.value
# refnx's pointwise scheme for the same 5 % FWHM: 101 Gauss-Legendre nodes over +-3.5 sigma per point
pointwise = ReflectModel(model.structure, scale=model.scale.value, bkg=model.bkg.value, quad_order=101).model(q, x_err=0.05 * q)
header = f"refnx source {REFNX_COMMIT[:12]} (pure-Python kernel), numpy {np.__version__}: Q (1/A), ReflectModel.model(Q) with dq = 5 % FWHM, abeles(Q, slabs) * scale + bkg, ReflectModel(quad_order=101).model(Q, x_err=0.05 Q)"
np.savetxt(here / "sei.refnx.txt", np.c_[q, smeared, plain, pointwise], header=header, fmt="%.17g")
print("wrote", here, file=sys.stderr)
