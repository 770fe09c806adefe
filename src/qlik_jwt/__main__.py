from qlik_jwt.cli import main

main()
